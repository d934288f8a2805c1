"""Warmup's boot publish: load and validate the registry file, publish it, and keep an eye on the file.

At start, within ``BOOT_WARMUP_BUDGET_SECONDS``, :class:`BootPublisher` loads and validates the file
(off the event loop) and publishes it as a snapshot, unless the snapshot in service already derives
from this very file (then a KIE refresh of it stays in service and is only re-announced).

A file that fails validation (a broken edit) never replaces anything: the error is logged at ERROR
naming the model and field, the snapshot in service stays in service, and the program stays up with
its heartbeat state ``degraded``. It does not exit with 78: an exit would hide the state from
``/health``, stop the leader's refresh on this host, and let supervisord's restart loop log the same
error again; staying up keeps the last good version served and the problem visible. The file is then
re-checked every ``file_check_seconds`` and published as soon as it is fixed (a restart works too).
A Redis failure or an exceeded budget is retried with backoff, also in state ``degraded``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

import structlog
from redis.exceptions import RedisError

from shared.aio import wait_stopped
from shared.backoff import Backoff
from shared.catalog import Registry, RegistryError, load_registry
from shared.catalog.store import Origin, SnapshotStore, SwapOutcome
from shared.heartbeat import ProcessState

__all__ = ["BootOutcome", "BootPublisher"]

log = structlog.get_logger()

_FileStamp = tuple[int, int, int]
_MISSING: _FileStamp = (-1, -1, -1)
_CONFLICT_ATTEMPTS = 3


class BootOutcome(StrEnum):
    """How one boot publish attempt ended."""

    SERVING = "serving"  # the file's version (or a KIE refresh of it) is in service
    INVALID = "invalid"  # the file fails validation: the last good snapshot stays in service
    RETRY = "retry"  # Redis failed or the budget ran out: try again soon


class BootPublisher:
    """Publishes the registry file at start and whenever it changes; reports the process state.

    Only what is for sale is published: models whose price no KIE page confirms are left out unless
    `allow_unverified` (the operator's ALLOW_UNVERIFIED_PRICES) says otherwise.
    """

    def __init__(
        self,
        store: SnapshotStore,
        path: Path,
        *,
        budget_seconds: float,
        set_state: Callable[[ProcessState], None],
        file_check_seconds: float = 10.0,
        max_retry_seconds: float = 30.0,
        allow_unverified: bool = False,
    ) -> None:
        self._store = store
        self._path = path
        self._allow_unverified = allow_unverified
        self._budget = budget_seconds
        self._set_state = set_state
        self._file_check = file_check_seconds
        self._max_retry = max_retry_seconds
        self._handled: _FileStamp | None = None
        self._backoff = Backoff(base=0.5, cap=max_retry_seconds)
        self._failures = 0

    async def start(self) -> BootOutcome:
        """The boot publish: one attempt within the budget, before anything else runs."""
        return await self._attempt()

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop``: retry a failed publish with backoff, re-publish when the file changes."""
        while not stop.is_set():
            wait = self._file_check
            due = self._handled is None or _stamp(self._path) != self._handled
            if due and await self._attempt() is BootOutcome.RETRY:
                wait = self._backoff.delay(self._failures)
                self._failures += 1
            if await wait_stopped(stop, wait):
                return

    async def _attempt(self) -> BootOutcome:
        stamp = _stamp(self._path)
        outcome = await self.publish_once()
        if outcome is BootOutcome.RETRY:
            self._handled = None
        else:
            self._handled, self._failures = stamp, 0
        return outcome

    async def publish_once(self) -> BootOutcome:
        """One attempt within the budget; sets the process state to match its outcome."""
        try:
            async with asyncio.timeout(self._budget):
                version = await self._publish()
        except RegistryError as exc:
            await self._degrade_invalid(exc)
            return BootOutcome.INVALID
        except TimeoutError:
            log.error("catalog_warmup_budget_exceeded", budget_s=self._budget, path=str(self._path))
        except (RedisError, OSError) as exc:
            log.warning("catalog_publish_failed", reason=str(exc) or type(exc).__name__)
        else:
            self._set_state(ProcessState.RUNNING)
            log.info("catalog_serving", version=version, path=str(self._path))
            return BootOutcome.SERVING
        self._set_state(ProcessState.DEGRADED)
        return BootOutcome.RETRY

    async def _publish(self) -> str:
        registry = await asyncio.to_thread(load_registry, self._path, allow_unverified=self._allow_unverified)
        for _ in range(_CONFLICT_ATTEMPTS):
            current = await self._store.current_version()
            if current is not None and await self._derives_from(current, registry):
                await self._store.announce(current)
                return current
            outcome = await self._store.publish(
                registry, base=registry.version, origin=Origin.FILE, expected=current
            )
            if outcome in (SwapOutcome.SWAPPED, SwapOutcome.UNCHANGED):
                version = registry.version
                log.info("catalog_published", version=version, models=len(registry), replaced=current)
                return version
        raise RedisError("the catalogue pointer kept moving while publishing")

    async def _derives_from(self, current: str, registry: Registry) -> bool:
        """Whether the version in service is this file or a KIE refresh of it."""
        if current == registry.version:
            return True
        try:
            snapshot = await self._store.read(current)
        except RegistryError as exc:
            log.warning("catalog_current_unreadable", version=current, error=str(exc))
            return False
        return snapshot is not None and snapshot.base == registry.version

    async def _degrade_invalid(self, exc: RegistryError) -> None:
        serving: str | None
        try:
            serving = await self._store.current_version()
        except (RedisError, OSError):
            serving = None
        log.error(
            "catalog_invalid",
            model=exc.model_id,
            field=exc.field,
            reason=exc.reason,
            error=str(exc),
            path=str(self._path),
            serving=serving,
        )
        self._set_state(ProcessState.DEGRADED)


def _stamp(path: Path) -> _FileStamp:
    """What identifies one version of the file on disk: inode, size and mtime (all -1 if unreadable)."""
    try:
        info = os.stat(path)
    except OSError:
        return _MISSING
    return (info.st_ino, info.st_size, info.st_mtime_ns)
