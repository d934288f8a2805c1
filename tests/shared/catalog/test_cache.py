"""CatalogCache against real Redis: start, swap on announce, recovery of a missed message, fallback."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from shared.catalog import DEFAULT_REGISTRY_PATH, Registry
from shared.catalog.cache import FALLBACK_ORIGIN, CatalogCache, CatalogNotLoaded
from shared.catalog.store import Origin, SnapshotStore
from shared.keys import Keys
from tests.shared.catalog.conftest import entry


@pytest.fixture(name="keys")
def _keys(key_prefix: str) -> Keys:
    return Keys(key_prefix)


@pytest.fixture(name="store")
def _store(redis_client: aioredis.Redis, keys: Keys) -> SnapshotStore:
    return SnapshotStore(redis_client, keys)


def variant(document: dict[str, Any], base: int) -> Registry:
    """A valid registry that differs from ``document`` in one price."""
    changed = copy.deepcopy(document)
    entry(changed, "z-image")["price"]["base"] = base
    return Registry.from_document(changed)


@asynccontextmanager
async def following(cache: CatalogCache) -> AsyncIterator[asyncio.Event]:
    stop = asyncio.Event()
    task = asyncio.create_task(cache.run(stop))
    try:
        yield stop
    finally:
        stop.set()
        await task


class TestCatalogCache:
    async def test_start_reads_the_current_version(
        self, redis_client: aioredis.Redis, keys: Keys, store: SnapshotStore, registry: Registry
    ) -> None:
        """start() loads the version the pointer names, with its origin."""
        await store.publish(registry, base=registry.version, origin=Origin.FILE, expected=None)
        cache = CatalogCache(redis_client, keys)
        await cache.start()
        assert cache.loaded and cache.version == registry.version and cache.origin == "file"
        assert cache.current() is not registry and len(cache.current()) == len(registry)

    async def test_not_loaded_without_snapshot_or_fallback(
        self, redis_client: aioredis.Redis, keys: Keys
    ) -> None:
        """With nothing published and no fallback, current() raises CatalogNotLoaded."""
        cache = CatalogCache(redis_client, keys)
        await cache.start()
        assert not cache.loaded and cache.version is None
        with pytest.raises(CatalogNotLoaded):
            cache.current()

    async def test_falls_back_to_the_file_until_a_snapshot_is_published(
        self, redis_client: aioredis.Redis, keys: Keys, store: SnapshotStore, document: dict[str, Any]
    ) -> None:
        """No snapshot yet: the registry file is loaded; the first published snapshot replaces it."""
        cache = CatalogCache(redis_client, keys, fallback_path=DEFAULT_REGISTRY_PATH, recheck_seconds=0.1)
        await cache.start()
        assert cache.origin == FALLBACK_ORIGIN
        newer = variant(document, 5)
        async with following(cache):
            await store.publish(newer, base=newer.version, origin=Origin.FILE, expected=None)
            async with asyncio.timeout(5):
                await cache.wait_version(newer.version)
        assert cache.origin == "file"

    async def test_swaps_on_announcement(
        self,
        redis_client: aioredis.Redis,
        keys: Keys,
        store: SnapshotStore,
        registry: Registry,
        document: dict[str, Any],
    ) -> None:
        """A published version reaches a following cache through the channel, well before the recheck."""
        await store.publish(registry, base=registry.version, origin=Origin.FILE, expected=None)
        cache = CatalogCache(redis_client, keys, recheck_seconds=60)
        async with following(cache):
            async with asyncio.timeout(5):
                await cache.wait_version(registry.version)
            newer = variant(document, 5)
            await store.publish(
                newer, base=registry.version, origin=Origin.KIE, expected=registry.version, epoch=1
            )
            async with asyncio.timeout(3):
                await cache.wait_version(newer.version)
        assert cache.current().price("z-image") == 5 and cache.origin == "kie"

    async def test_recovers_a_missed_message_by_rechecking(
        self,
        redis_client: aioredis.Redis,
        keys: Keys,
        store: SnapshotStore,
        registry: Registry,
        document: dict[str, Any],
    ) -> None:
        """A pointer moved without any announcement is picked up by the periodic re-read."""
        await store.publish(registry, base=registry.version, origin=Origin.FILE, expected=None)
        cache = CatalogCache(redis_client, keys, recheck_seconds=0.2)
        newer = variant(document, 7)
        async with following(cache):
            async with asyncio.timeout(5):
                await cache.wait_version(registry.version)
            # Write the snapshot and move the pointer by hand: no PUBLISH, as if the message was lost.
            await redis_client.set(keys.catalog_snapshot(newer.version), json.dumps(newer.to_snapshot()))
            await redis_client.set(keys.catalog_current, newer.version)
            async with asyncio.timeout(3):
                await cache.wait_version(newer.version)
        assert cache.current().price("z-image") == 7

    async def test_corrupt_snapshot_keeps_the_current_copy(
        self, redis_client: aioredis.Redis, keys: Keys, store: SnapshotStore, registry: Registry
    ) -> None:
        """A pointer naming a corrupt snapshot is refused; the cache keeps serving what it had."""
        await store.publish(registry, base=registry.version, origin=Origin.FILE, expected=None)
        cache = CatalogCache(redis_client, keys)
        await cache.start()
        await redis_client.set(keys.catalog_snapshot("f" * 64), '{"format": 1, "document": {}}')
        await redis_client.set(keys.catalog_current, "f" * 64)
        assert await cache.refresh() is False
        assert cache.version == registry.version

    async def test_broken_fallback_file_leaves_it_unloaded(
        self, redis_client: aioredis.Redis, keys: Keys, tmp_path: Path
    ) -> None:
        """A fallback file that fails validation is logged and nothing is loaded."""
        path = tmp_path / "registry.json"
        path.write_text("[]", encoding="utf-8")
        cache = CatalogCache(redis_client, keys, fallback_path=path)
        await cache.start()
        assert not cache.loaded


class TestSnapshotStore:
    async def test_stale_epoch_cannot_move_the_pointer(
        self,
        redis_client: aioredis.Redis,
        keys: Keys,
        store: SnapshotStore,
        registry: Registry,
        document: dict[str, Any],
    ) -> None:
        """A refresh carrying an epoch older than the fence or the published leader term is refused."""
        await store.publish(registry, base=registry.version, origin=Origin.FILE, expected=None)
        first = variant(document, 5)
        assert (
            await store.publish(
                first, base=registry.version, origin=Origin.KIE, expected=registry.version, epoch=3
            )
            == "swapped"
        )
        second = variant(document, 6)
        outcome = await store.publish(
            second, base=registry.version, origin=Origin.KIE, expected=first.version, epoch=2
        )
        assert outcome == "stale-epoch" and await store.current_version() == first.version
        await redis_client.set(
            keys.leader_state, json.dumps({"holder": "h/lockkeeper/1", "epoch": 9, "expires_at": 0})
        )
        outcome = await store.publish(
            second, base=registry.version, origin=Origin.KIE, expected=first.version, epoch=4
        )
        assert outcome == "stale-epoch" and await store.current_version() == first.version

    async def test_pointer_moves_only_from_the_expected_version(
        self, store: SnapshotStore, registry: Registry, document: dict[str, Any]
    ) -> None:
        """A writer that read an older pointer loses the race and changes nothing."""
        await store.publish(registry, base=registry.version, origin=Origin.FILE, expected=None)
        newer = variant(document, 5)
        assert await store.publish(newer, base=newer.version, origin=Origin.FILE, expected=None) == "conflict"
        assert await store.current_version() == registry.version
        assert (
            await store.publish(
                registry, base=registry.version, origin=Origin.FILE, expected=registry.version
            )
            == "unchanged"
        )
