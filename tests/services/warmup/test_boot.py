"""Warmup's boot publish against real Redis: snapshot, pointer, announcement, and broken edits."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any, cast

import pytest
import redis.asyncio as aioredis
from structlog.testing import capture_logs

from services.warmup.boot import BootOutcome, BootPublisher
from shared.catalog import Registry, load_registry
from shared.catalog.store import Origin, SnapshotStore
from shared.heartbeat import ProcessState
from shared.keys import Keys
from tests.services.warmup.conftest import entry, input_field, write_document, write_raw

Break = Callable[[dict[str, Any]], None]


def _drop_required(doc: dict[str, Any]) -> None:
    del input_field(doc, "z-image", "prompt")["required"]


def _default_not_in_enum(doc: dict[str, Any]) -> None:
    input_field(doc, "seedream/4.5-text-to-image", "quality")["default"] = "ultra"


def _bad_price(doc: dict[str, Any]) -> None:
    entry(doc, "google/imagen4")["price"]["base"] = -8


BROKEN_EDITS = [
    pytest.param(_drop_required, "z-image", "prompt", id="missing-required-field"),
    pytest.param(
        _default_not_in_enum, "seedream/4.5-text-to-image", "quality", id="enum-default-not-in-enum"
    ),
    pytest.param(_bad_price, "google/imagen4", "price.base", id="bad-price"),
]


class States:
    """Records the process states the publisher reports."""

    def __init__(self) -> None:
        self.seen: list[ProcessState] = []

    def __call__(self, state: ProcessState) -> None:
        self.seen.append(state)

    @property
    def last(self) -> ProcessState | None:
        return self.seen[-1] if self.seen else None


def publisher(store: SnapshotStore, path: Path, states: States, **kwargs: Any) -> BootPublisher:
    return BootPublisher(store, path, budget_seconds=30, set_state=states, **kwargs)


def invalid_events(logs: list[MutableMapping[str, Any]]) -> list[MutableMapping[str, Any]]:
    return [item for item in logs if item["event"] == "catalog_invalid"]


class TestBootPublish:
    async def test_publishes_snapshot_then_pointer_and_announces(
        self, redis_client: aioredis.Redis, keys: Keys, store: SnapshotStore, registry_file: Path
    ) -> None:
        """The boot publish writes the versioned snapshot, points catalog:current at it and announces it."""
        expected = load_registry(registry_file, allow_unverified=False)
        pubsub = redis_client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(keys.catalog_channel)
        states = States()
        try:
            assert await publisher(store, registry_file, states).start() is BootOutcome.SERVING
            message = None
            for _ in range(5):
                message = message or await pubsub.get_message(timeout=0.5)
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
        assert message is not None and message["data"].decode() == expected.version
        assert await store.current_version() == expected.version
        raw = json.loads(cast(bytes, await redis_client.get(keys.catalog_snapshot(expected.version))))
        assert raw["version"] == expected.version and raw["models"] == len(expected)
        snapshot = await store.read_current()
        assert snapshot is not None and snapshot.origin is Origin.FILE and snapshot.base == expected.version
        assert states.last is ProcessState.RUNNING

    async def test_keeps_a_refresh_of_the_same_file_in_service(
        self, store: SnapshotStore, registry_file: Path, document: dict[str, Any]
    ) -> None:
        """A restart does not replace a KIE refresh derived from the same file with the plain file."""
        base = load_registry(registry_file, allow_unverified=False)
        await publisher(store, registry_file, States()).start()
        entry(document, "z-image")["price"]["base"] = 3
        document["price_sources"]["kie-catalogue"] = "test"
        entry(document, "z-image")["price"]["source"] = "kie-catalogue"
        refreshed = Registry.from_document(document)
        await store.publish(refreshed, base=base.version, origin=Origin.KIE, expected=base.version, epoch=1)
        assert await publisher(store, registry_file, States()).start() is BootOutcome.SERVING
        assert await store.current_version() == refreshed.version

    @pytest.mark.parametrize(("edit", "model_id", "field"), BROKEN_EDITS)
    async def test_broken_edit_keeps_the_last_good_snapshot(
        self,
        store: SnapshotStore,
        registry_file: Path,
        document: dict[str, Any],
        edit: Break,
        model_id: str,
        field: str,
    ) -> None:
        """A broken registry file is refused at ERROR naming model and field; the good version stays."""
        good = load_registry(registry_file, allow_unverified=False).version
        await publisher(store, registry_file, States()).start()
        edit(document)
        write_document(registry_file, document)
        states = States()
        with capture_logs() as logs:
            outcome = await publisher(store, registry_file, states).start()
        assert outcome is BootOutcome.INVALID
        assert await store.current_version() == good
        assert states.last is ProcessState.DEGRADED
        (event,) = invalid_events(logs)
        assert event["log_level"] == "error"
        assert event["model"] == model_id and event["field"] == field
        assert model_id in event["error"] and field in event["error"]
        assert event["serving"] == good

    async def test_broken_file_with_nothing_published_stays_degraded(
        self, store: SnapshotStore, registry_file: Path
    ) -> None:
        """With no snapshot yet, an unreadable registry leaves nothing published and the state degraded."""
        write_raw(registry_file, "{ not json")
        states = States()
        assert await publisher(store, registry_file, states).start() is BootOutcome.INVALID
        assert await store.current_version() is None
        assert states.last is ProcessState.DEGRADED

    async def test_fixed_file_is_published_without_restart(
        self, store: SnapshotStore, registry_file: Path, document: dict[str, Any]
    ) -> None:
        """run() notices the file changed back to a valid document and publishes it, state running."""
        good = load_registry(registry_file, allow_unverified=False).version
        broken = json.loads(json.dumps(document))
        _bad_price(broken)
        write_document(registry_file, broken)
        states = States()
        boot = publisher(store, registry_file, states, file_check_seconds=0.05)
        with capture_logs() as logs:
            await boot.start()
            stop = asyncio.Event()
            running = asyncio.create_task(boot.run(stop))
            await asyncio.sleep(0.2)
            assert len(invalid_events(logs)) == 1, "an unchanged broken file is not re-logged"
            write_document(registry_file, document)
            for _ in range(100):
                if await store.current_version() == good:
                    break
                await asyncio.sleep(0.02)
            stop.set()
            await running
        assert await store.current_version() == good
        assert states.last is ProcessState.RUNNING

    async def test_budget_exceeded_is_degraded_and_retried(
        self, store: SnapshotStore, registry_file: Path
    ) -> None:
        """A boot publish that cannot finish within the budget reports degraded and asks for a retry."""
        states = States()
        boot = BootPublisher(store, registry_file, budget_seconds=0.000001, set_state=states)
        with capture_logs() as logs:
            outcome = await boot.start()
        assert outcome is BootOutcome.RETRY
        assert states.last is ProcessState.DEGRADED
        assert any(item["event"] == "catalog_warmup_budget_exceeded" for item in logs)


class TestForSale:
    """Only what the operator sells is published."""

    async def test_unverified_prices_are_published_only_when_allowed(
        self, store: SnapshotStore, registry_file: Path
    ) -> None:
        """By default the snapshot leaves out unverified prices; ALLOW_UNVERIFIED_PRICES puts them back."""
        await publisher(store, registry_file, States()).start()
        current = await store.read_current()
        assert current is not None and "nano-banana-pro" not in current.registry and "V5" in current.registry
        await publisher(store, registry_file, States(), allow_unverified=True).start()
        current = await store.read_current()
        assert current is not None and "nano-banana-pro" in current.registry
        assert len(current.registry) == len(load_registry(registry_file))
