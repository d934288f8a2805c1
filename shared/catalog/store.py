"""Catalogue snapshots in Redis: versioned snapshot keys, the ``current`` pointer, the announcement.

Layout (names from :class:`shared.keys.Keys`)::

    catalog:snapshot:{version}  JSON envelope: Registry.to_snapshot() plus base, origin, published_at
    catalog:current             the version in service (the registry's content hash, plain text)
    catalog        (channel)    announces a version once the pointer names it
    catalog:fence               highest leader epoch that moved the pointer (KIE refreshes only)

A snapshot is written whole (one SET) before the pointer may name it. The pointer is moved by one Lua
script that checks the snapshot key exists, compares the version the writer started from (so a refresh
computed from an older state never overwrites a newer one) and, for a leader's write, checks the epoch
against the catalogue fence and the published leader state. Only then does it announce the version.

``base`` is the version of the registry *file* a snapshot derives from: a boot publish has
``base == version``; a KIE refresh merges onto the base document, so refreshing twice with the same
KIE answers gives the same version. The snapshot in service and its base never expire; a replaced
snapshot is kept ``retain_seconds`` for readers that were just about to read it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import redis.asyncio as aioredis
import structlog

from shared.catalog import pointer
from shared.catalog.cost_floors import CostFloors, apply_floors
from shared.catalog.errors import RegistryError
from shared.catalog.registry import Registry
from shared.keys import Keys

__all__ = ["Origin", "Snapshot", "SnapshotStore", "SwapOutcome"]

log = structlog.get_logger()

# KEYS: pointer, snapshot, channel, fence, leader state.
# ARGV: version, expected version ('' = none), epoch ('' = not a leader write).
_SWAP = """
if redis.call('EXISTS', KEYS[2]) == 0 then return 'missing' end
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[2] then return 'conflict' end
if ARGV[3] ~= '' then
  local epoch = tonumber(ARGV[3])
  if tonumber(redis.call('GET', KEYS[4]) or '0') > epoch then return 'stale-epoch' end
  local state = redis.call('GET', KEYS[5])
  if state then
    local ok, leader = pcall(cjson.decode, state)
    if ok and tonumber(leader['epoch']) > epoch then return 'stale-epoch' end
  end
  redis.call('SET', KEYS[4], ARGV[3])
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PUBLISH', KEYS[3], ARGV[1])
return 'swapped'
"""


class Origin(StrEnum):
    """Where a snapshot's document came from."""

    FILE = "file"  # the registry file, as warmup loaded it at boot
    KIE = "kie"  # the registry file merged with KIE's catalogue by the leader's refresh


class SwapOutcome(StrEnum):
    """What :meth:`SnapshotStore.publish` did with the pointer."""

    SWAPPED = "swapped"  # the pointer names the new version and it was announced
    UNCHANGED = "unchanged"  # the new version is the one already in service: nothing written
    CONFLICT = "conflict"  # the pointer moved since the writer read it: nothing changed
    STALE_EPOCH = "stale-epoch"  # a newer leader term exists: nothing changed
    MISSING = "missing"  # the snapshot key vanished before the swap: nothing changed


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A validated catalogue version as stored in Redis."""

    registry: Registry
    base: str
    origin: Origin
    published_at: float

    @property
    def version(self) -> str:
        """The registry's content hash."""
        return self.registry.version


class SnapshotStore:
    """Reads and writes catalogue snapshots under ``keys``; one instance per process is enough."""

    def __init__(
        self,
        redis: aioredis.Redis,
        keys: Keys,
        *,
        retain_seconds: float = 86400.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._retain = max(1, int(retain_seconds))
        self._clock = clock
        self._swap = redis.register_script(_SWAP)

    async def current_version(self) -> str | None:
        """The version the pointer names, or None when nothing was ever published."""
        return await pointer.current_version(self._redis, self._keys)

    async def published_version(self) -> str | None:
        """The version in service if its snapshot key exists (cheap: no parsing), else None."""
        return await pointer.published_version(self._redis, self._keys)

    async def read(self, version: str) -> Snapshot | None:
        """The snapshot of ``version``, validated (in a worker thread); None when its key is gone.

        Raises :class:`RegistryError` when the stored envelope is corrupt or fails validation.
        """
        raw = await self._redis.get(self._keys.catalog_snapshot(version))
        if raw is None:
            return None
        return await asyncio.to_thread(_parse_envelope, raw, version)

    async def read_current(self) -> Snapshot | None:
        """The snapshot in service, or None when nothing is published (or its key is gone)."""
        version = await self.current_version()
        return None if version is None else await self.read(version)

    async def publish(
        self,
        registry: Registry,
        *,
        base: str,
        origin: Origin,
        expected: str | None,
        epoch: int | None = None,
    ) -> SwapOutcome:
        """Write ``registry``'s snapshot (cost floors applied), then point ``current`` at it and announce it.

        ``expected`` is the version the writer read before building ``registry`` (None: nothing was
        published); the pointer moves only if it still names that version. ``epoch`` marks a leader
        duty's write and is checked against the fence. Redis errors propagate.
        """
        floored = await self._with_cost_floors(registry)
        base = floored.version if base == registry.version else base
        registry, version = floored, floored.version
        if version == expected:
            return SwapOutcome.UNCHANGED
        envelope = {
            **registry.to_snapshot(),
            "base": base,
            "origin": origin.value,
            "published_at": self._clock(),
        }
        if epoch is not None:
            envelope["epoch"] = epoch
        await self._redis.set(self._keys.catalog_snapshot(version), json.dumps(envelope, ensure_ascii=False))
        outcome = await self._move_pointer(version, expected, epoch)
        if outcome is SwapOutcome.SWAPPED:
            await self._retain_versions(version, base, expected)
        return outcome

    async def _with_cost_floors(self, registry: Registry) -> Registry:
        """``registry`` with the price floors KIE's charges taught (itself when none raises a rate)."""
        floors = await CostFloors(self._redis, self._keys).read()
        if not floors:
            return registry
        document, applied = apply_floors(registry.to_snapshot()["document"], floors)
        if not applied:
            return registry
        return await asyncio.to_thread(Registry.from_document, document)

    async def announce(self, version: str) -> None:
        """Announce ``version`` again (e.g. at warmup start); subscribers re-read the pointer anyway."""
        await self._redis.publish(self._keys.catalog_channel, version)

    async def _move_pointer(self, version: str, expected: str | None, epoch: int | None) -> SwapOutcome:
        keys = [
            self._keys.catalog_current,
            self._keys.catalog_snapshot(version),
            self._keys.catalog_channel,
            self._keys.catalog_fence,
            self._keys.leader_state,
        ]
        args = [version, expected or "", "" if epoch is None else str(epoch)]
        return SwapOutcome(_text(await self._swap(keys=keys, args=args)))

    async def _retain_versions(self, version: str, base: str, replaced: str | None) -> None:
        """Keep the new snapshot and its base forever; let the replaced one expire later."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.persist(self._keys.catalog_snapshot(version))
            pipe.persist(self._keys.catalog_snapshot(base))
            if replaced is not None and replaced not in (version, base):
                pipe.expire(self._keys.catalog_snapshot(replaced), self._retain)
            await pipe.execute()


def _parse_envelope(raw: bytes | str, version: str) -> Snapshot:
    try:
        envelope = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RegistryError(f"snapshot {version}: not JSON: {exc}") from exc
    if not isinstance(envelope, dict):
        raise RegistryError(f"snapshot {version}: expected an object")
    registry = Registry.from_snapshot(envelope)
    if registry.version != version:
        raise RegistryError(f"snapshot {version}: holds version {registry.version}")
    try:
        origin = Origin(envelope.get("origin", Origin.FILE.value))
    except ValueError as exc:
        raise RegistryError(f"snapshot {version}: unknown origin {envelope.get('origin')!r}") from exc
    base = envelope.get("base")
    return Snapshot(
        registry=registry,
        base=base if isinstance(base, str) and base else version,
        origin=origin,
        published_at=float(envelope.get("published_at") or 0.0),
    )


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
