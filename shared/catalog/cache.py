"""`CatalogCache`: any process's in-memory copy of the catalogue version in service.

The warmup program publishes snapshots (:mod:`shared.catalog.store`); every other process keeps one
:class:`CatalogCache` and reads it synchronously::

    path = runtime.settings.CATALOG_REGISTRY_PATH or DEFAULT_REGISTRY_PATH
    cache = CatalogCache(runtime.redis, runtime.keys, fallback_path=path)
    await cache.start()                             # reads the pointer once (or falls back, see below)
    group.create_task(cache.run(runtime.stop))      # follows announcements until stop
    registry = cache.current()                      # the Registry in service; never blocks

The pointer key is the truth and an announcement only a hint: :meth:`run` subscribes to the catalogue
channel, then reads the pointer; it reads it again on every announcement, after every reconnect and
every ``recheck_seconds``, so a missed message costs at most one recheck period. A new version is
read and validated off the event loop and swapped in with one assignment: readers see the old
registry or the new one, never a mix. A pointer naming a missing or corrupt snapshot is logged and the
current copy kept.

Fallback: when Redis holds no snapshot yet (warmup has not published, or Redis is unreachable at
start) and ``fallback_path`` is set, the cache loads the registry file itself, so a bot worker that
starts before warmup can still show menus. The first published snapshot replaces that copy. Pass
``fallback_path=None`` where "loaded" must mean "published by warmup" (the webhook's ``/ready``).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from shared.aio import unless_stopped, wait_stopped
from shared.catalog.errors import CatalogError, RegistryError
from shared.catalog.loader import load_registry
from shared.catalog.registry import Registry
from shared.catalog.store import SnapshotStore
from shared.keys import Keys

__all__ = ["CatalogCache", "CatalogNotLoaded"]

log = structlog.get_logger()

FALLBACK_ORIGIN = "file-fallback"


class CatalogNotLoaded(CatalogError):
    """No catalogue version is loaded yet: nothing published and no usable fallback file."""


@dataclass(frozen=True, slots=True)
class _Loaded:
    registry: Registry
    origin: str


class CatalogCache:
    """The catalogue version in service, kept current from Redis; see the module docstring."""

    def __init__(
        self,
        redis: aioredis.Redis,
        keys: Keys,
        *,
        fallback_path: Path | None = None,
        recheck_seconds: float = 5.0,
        retry_seconds: float = 0.5,
        allow_unverified: bool = False,
    ) -> None:
        self._allow_unverified = allow_unverified
        self._redis = redis
        self._keys = keys
        self._store = SnapshotStore(redis, keys)
        self._fallback = fallback_path
        self._recheck = recheck_seconds
        self._retry = retry_seconds
        self._loaded: _Loaded | None = None
        self._lock = asyncio.Lock()
        self._swapped = asyncio.Event()

    @property
    def loaded(self) -> bool:
        """Whether a catalogue version is loaded (published, or the fallback file)."""
        return self._loaded is not None

    @property
    def version(self) -> str | None:
        """The loaded version, or None."""
        return None if self._loaded is None else self._loaded.registry.version

    @property
    def origin(self) -> str | None:
        """``file`` or ``kie`` for a published snapshot, ``file-fallback`` for the local file, or None."""
        return None if self._loaded is None else self._loaded.origin

    def current(self) -> Registry:
        """The registry in service; raises :class:`CatalogNotLoaded` before the first load."""
        loaded = self._loaded
        if loaded is None:
            raise CatalogNotLoaded("the model catalogue is not loaded yet")
        return loaded.registry

    async def wait_version(self, version: str) -> None:
        """Wait until ``version`` is loaded; bound it with ``asyncio.timeout``."""
        while self.version != version:
            await self._swapped.wait()

    async def start(self) -> None:
        """Load once: the published version, or the fallback file when nothing is published or Redis fails."""
        try:
            await self.refresh()
        except (RedisError, OSError) as exc:
            log.warning("catalog_cache_redis_unavailable", reason=str(exc) or type(exc).__name__)
            await self._load_fallback()

    async def refresh(self) -> bool:
        """Re-read the pointer and swap in its version if it differs; return whether it swapped.

        Redis errors propagate; a missing or invalid snapshot is logged and the current copy kept.
        """
        async with self._lock:
            version = await self._store.current_version()
            if version is None:
                await self._load_fallback()
                return False
            if version == self.version:
                return False
            return await self._swap_to(version)

    async def run(self, stop: asyncio.Event) -> None:
        """Follow announcements until ``stop``; reconnects after any Redis failure."""
        while not stop.is_set():
            try:
                await self._follow(stop)
            except (RedisError, OSError) as exc:
                log.warning("catalog_cache_disconnected", reason=str(exc) or type(exc).__name__)
                if not self.loaded:
                    await self._load_fallback()
            await wait_stopped(stop, self._retry)

    async def _follow(self, stop: asyncio.Event) -> None:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self._keys.catalog_channel)
            # Read after subscribing: a version published in between arrives as a message.
            await self.refresh()
            checked = time.monotonic()
            while not stop.is_set():
                message = await unless_stopped(pubsub.get_message(timeout=min(1.0, self._recheck)), stop)
                due = time.monotonic() - checked >= self._recheck
                if due or (message is not None and message.get("type") == "message"):
                    await self.refresh()
                    checked = time.monotonic()
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated

    async def _swap_to(self, version: str) -> bool:
        try:
            snapshot = await self._store.read(version)
        except RegistryError as exc:
            log.error("catalog_snapshot_invalid", version=version, error=str(exc), kept=self.version)
            return False
        if snapshot is None:
            log.error("catalog_snapshot_missing", version=version, kept=self.version)
            if not self.loaded:
                await self._load_fallback()
            return False
        self._set(_Loaded(snapshot.registry, snapshot.origin.value))
        origin = snapshot.origin.value
        log.info("catalog_loaded", version=version, origin=origin, models=len(snapshot.registry))
        return True

    async def _load_fallback(self) -> None:
        """Load the registry file when nothing else is loaded and a fallback path is configured."""
        if self._loaded is not None or self._fallback is None:
            return
        try:
            registry = await asyncio.to_thread(
                load_registry, self._fallback, allow_unverified=self._allow_unverified
            )
        except RegistryError as exc:
            log.error("catalog_fallback_invalid", path=str(self._fallback), error=str(exc))
            return
        self._set(_Loaded(registry, FALLBACK_ORIGIN))
        log.info("catalog_loaded", version=registry.version, origin=FALLBACK_ORIGIN, models=len(registry))

    def _set(self, loaded: _Loaded) -> None:
        """Swap the loaded copy in one assignment and wake :meth:`wait_version` callers."""
        self._loaded = loaded
        swapped, self._swapped = self._swapped, asyncio.Event()
        swapped.set()
