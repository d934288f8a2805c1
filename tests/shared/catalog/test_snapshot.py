"""Snapshots round-trip through JSON and Redis, carry a content hash, and refuse tampering."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis.asyncio as aioredis

from shared.catalog import SNAPSHOT_FORMAT, Registry, RegistryError
from tests.shared.catalog.conftest import entry


class TestSnapshot:
    def test_round_trip_preserves_models_and_version(self, registry: Registry) -> None:
        """from_snapshot(to_snapshot()) rebuilds an equal registry."""
        snapshot = json.loads(json.dumps(registry.to_snapshot()))
        copy = Registry.from_snapshot(snapshot)
        assert copy.version == registry.version
        assert copy.models == registry.models
        assert copy.menus() == registry.menus()

    def test_snapshot_header_describes_the_content(self, registry: Registry) -> None:
        """The snapshot states its format, content hash and model count."""
        snapshot = registry.to_snapshot()
        assert snapshot["format"] == SNAPSHOT_FORMAT
        assert snapshot["version"] == registry.version and len(registry.version) == 64
        assert snapshot["models"] == len(registry)

    def test_version_changes_with_content(self, document: dict[str, Any]) -> None:
        """A price edit yields a new version; an identical document the same version."""
        before = Registry.from_document(document).version
        assert Registry.from_document(document).version == before
        entry(document, "z-image")["price"]["base"] = 2
        assert Registry.from_document(document).version != before

    def test_tampered_snapshot_is_refused(self, registry: Registry) -> None:
        """A document that does not match the snapshot's hash is rejected."""
        snapshot = registry.to_snapshot()
        snapshot["document"]["models"][0]["price"]["base"] = 1
        with pytest.raises(RegistryError, match="does not match"):
            Registry.from_snapshot(snapshot)

    def test_unknown_format_is_refused(self, registry: Registry) -> None:
        """A snapshot of another format version is rejected."""
        with pytest.raises(RegistryError, match="unsupported snapshot format"):
            Registry.from_snapshot({**registry.to_snapshot(), "format": SNAPSHOT_FORMAT + 1})

    def test_invalid_document_in_snapshot_is_refused(self, registry: Registry) -> None:
        """A snapshot whose document breaks validation fails like a broken registry file."""
        snapshot = registry.to_snapshot()
        entry(snapshot["document"], "z-image")["type"] = "nope"
        with pytest.raises(RegistryError) as caught:
            Registry.from_snapshot(snapshot)
        assert (caught.value.model_id, caught.value.field) == ("z-image", "type")

    def test_snapshot_mutation_does_not_reach_the_registry(self, registry: Registry) -> None:
        """Each snapshot is a fresh copy of the document."""
        registry.to_snapshot()["document"]["models"].clear()
        assert registry.to_snapshot()["models"] == len(registry.to_snapshot()["document"]["models"])

    async def test_round_trip_through_redis(
        self, registry: Registry, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """A snapshot stored in Redis as JSON loads back to the same version."""
        key = f"{key_prefix}catalog:snapshot"
        await redis_client.set(key, json.dumps(registry.to_snapshot(), ensure_ascii=False))
        raw = await redis_client.get(key)
        assert raw is not None
        assert Registry.from_snapshot(json.loads(raw)).version == registry.version
