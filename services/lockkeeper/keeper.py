"""The lease keeper's loop: acquire when free, renew every TTL/3, step down when unsure, release on stop.

Backend-agnostic: it drives any :class:`~shared.lease.LeaseBackend`. Deadlines are measured on the
monotonic clock from the moment *before* a request was sent, so a slow answer can only shorten this
holder's term, never lengthen it. The keeper stops considering itself leader a safety margin before
the lease could expire in the store, and publishes that instant as ``expires_at``, so leader duties
elsewhere stop no later than the keeper does.

Before acquiring, the keeper reads the published state: a live term granted by the *other* backend
(a deployment caught mid-switch of ``LOCK_BACKEND``) is waited out, never overlapped. A live term of a
predecessor on this same host (and the same machine and pid namespace, ``origin``) whose process is
provably gone (``PredecessorGone``: its pid no longer runs a lock keeper) is taken over at once, with
the next epoch, so a restart of the lock keeper leaves no leaderless gap beyond the restart itself.
Without that proof (the old process may only be paused) the term is waited out plus half a TTL, so
that another host takes over rather than a host that may have just failed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import psycopg
import structlog
from redis.exceptions import RedisError

from shared.aio import wait_stopped
from shared.lease.backend import (
    LeaderBoard,
    LeaderInfo,
    LeaseBackend,
    LeaseBackendFailed,
    LeaseError,
    holder_host,
)

__all__ = ["EpochSource", "LeaseKeeper", "TermRecorder"]

log = structlog.get_logger()

EpochSource = Callable[[], Awaitable[int]]
"""The highest epoch the other authority has granted: the floor for this backend's next epoch."""

TermRecorder = Callable[[int, str], Awaitable[None]]
"""Registers a granted term (epoch, holder) in PostgreSQL's term record, the global fence."""

PredecessorGone = Callable[[str], bool]
"""Whether a holder of this host is provably dead (see ``shared.lease.predecessor``)."""

# Failures of the side stores (floor, term record, announcements): logged and retried, never fatal.
_SIDE_ERRORS = (LeaseError, RedisError, psycopg.Error, OSError, TimeoutError)


class LeaseKeeper:
    """Drives one :class:`LeaseBackend` through acquire → renew → step down or release."""

    def __init__(
        self,
        backend: LeaseBackend,
        board: LeaderBoard,
        ttl_seconds: float,
        *,
        floor: EpochSource | None = None,
        record: TermRecorder | None = None,
        predecessor_gone: PredecessorGone = lambda holder: False,
        origin: str | None = None,
    ) -> None:
        self._backend = backend
        self._board = board
        self._ttl = ttl_seconds
        self._floor_source = floor
        self._record = record
        self._predecessor_gone = predecessor_gone
        self._origin = origin
        self._dead_holder: str | None = None
        self._margin = min(1.0, ttl_seconds * 0.1)
        self._budget = ttl_seconds / 3
        self._poll = min(1.0, ttl_seconds / 6)
        self._grace = ttl_seconds / 2
        self._defer_until = 0.0
        self._known_floor = 0
        self._epoch: int | None = None
        self._recorded = False
        self._deadline = 0.0

    @property
    def epoch(self) -> int | None:
        """The epoch of the current term while this keeper leads, else None."""
        return self._epoch if self._epoch is not None and time.monotonic() < self._deadline else None

    async def run(self, stop: asyncio.Event) -> None:
        """Keep the lease until ``stop``; then release it if still held. Never raises on the way out."""
        try:
            while not stop.is_set():
                await wait_stopped(stop, await self._tick())
        finally:
            await self._shutdown()

    async def _tick(self) -> float:
        """One step of the loop; returns how long to wait before the next one."""
        if self._epoch is None:
            await self._try_acquire()
            return self._budget if self._epoch is not None else self._poll
        if time.monotonic() >= self._deadline:
            await self._step_down("renewal not confirmed before expiry")
            return self._poll
        if await self._renew():
            return self._budget
        if self._epoch is None:
            return self._poll
        return max(0.0, min(self._ttl / 10, self._deadline - time.monotonic()))

    async def _try_acquire(self) -> None:
        if not await self._may_acquire():
            return
        floor = await self._floor()
        sent_at = time.monotonic()
        try:
            acquire = self._backend.try_acquire(floor, dead_holder=self._dead_holder)
            epoch = await asyncio.wait_for(acquire, self._budget)
        except (LeaseError, TimeoutError) as exc:
            log.warning("lease_acquire_failed", reason=_reason(exc))
            return
        if epoch is None:
            return
        self._epoch, self._deadline, self._recorded = epoch, sent_at + self._ttl - self._margin, False
        log.info(
            "lease_acquired",
            epoch=epoch,
            holder=self._backend.holder,
            backend=self._backend.name,
            replaced=self._dead_holder,
        )
        await self._record_term()
        await self._publish()

    async def _may_acquire(self) -> bool:
        """False while a live term of the other backend is published, or the state cannot be read."""
        try:
            current = await asyncio.wait_for(self._board.read(), self._budget)
        except _SIDE_ERRORS as exc:
            log.warning("lease_state_unreadable", reason=_reason(exc))
            return False
        if current is not None and current.is_live() and current.backend != self._backend.name:
            log.warning("lease_held_by_other_backend", backend=current.backend, holder=current.holder)
            return False
        return not self._defers_to_other_hosts(current)

    def _defers_to_other_hosts(self, current: LeaderInfo | None) -> bool:
        """True until half a TTL after the published expiry of a crashed predecessor's term on this host.

        A host whose lock keeper just died is suspect: other hosts get the first chance to take over,
        unless the predecessor's process is provably gone: then this keeper takes its term over now.
        """
        now = time.monotonic()
        self._dead_holder = None
        predecessor = self._predecessor(current)
        if predecessor is None or current is None:
            return now < self._defer_until
        if current.is_live() and self._same_origin(current) and self._predecessor_gone(predecessor):
            log.info("lease_predecessor_gone", predecessor=predecessor, epoch=current.epoch)
            self._dead_holder = predecessor
            return False
        # From the published expiry, which precedes the store's own expiry by the safety margin.
        until = now + (current.expires_at - time.time()) + self._grace
        if until > now and self._defer_until < now:
            log.info("lease_deferring_to_other_hosts", predecessor=predecessor, epoch=current.epoch)
        self._defer_until = max(self._defer_until, until)
        return now < self._defer_until

    def _same_origin(self, current: LeaderInfo) -> bool:
        """Whether the published holder's pid can be judged here: same machine and pid namespace."""
        return self._origin is not None and current.origin == self._origin

    def _predecessor(self, current: LeaderInfo | None) -> str | None:
        """The published holder when it is another process of this host, else None."""
        if current is None or current.holder in (None, self._backend.holder):
            return None
        return current.holder if current.host == holder_host(self._backend.holder) else None

    async def _renew(self) -> bool:
        """Renew the term; True when confirmed in time. A refusal steps down at once."""
        sent_at = time.monotonic()
        try:
            renewed = await asyncio.wait_for(self._backend.renew(), max(0.05, self._deadline - sent_at))
        except (LeaseError, TimeoutError) as exc:
            log.warning("lease_renew_failed", reason=_reason(exc), epoch=self._epoch)
            return False
        if not renewed:
            await self._step_down("lease held by another holder or expired in the store")
            return False
        self._deadline = sent_at + self._ttl - self._margin
        await self._record_term()
        await self._publish()
        return True

    async def _step_down(self, reason: str) -> None:
        epoch, self._epoch = self._epoch, None
        log.warning("lease_lost", epoch=epoch, reason=reason)
        if epoch is not None:
            await self._announce_end(epoch)

    async def _floor(self) -> int:
        """The other authority's highest epoch, or the last one known when it cannot be read."""
        if self._floor_source is not None:
            try:
                floor = await asyncio.wait_for(self._floor_source(), self._budget)
                self._known_floor = max(self._known_floor, floor)
            except _SIDE_ERRORS as exc:
                log.info("lease_floor_unknown", reason=_reason(exc), using=self._known_floor)
        return self._known_floor

    async def _record_term(self) -> None:
        """Register the term as the global fence; retried on every renewal until it succeeds."""
        if self._record is None or self._recorded or self._epoch is None:
            return
        try:
            await asyncio.wait_for(self._record(self._epoch, self._backend.holder), self._budget)
            self._recorded = True
        except _SIDE_ERRORS as exc:
            log.warning("lease_term_record_failed", epoch=self._epoch, reason=_reason(exc))

    async def _publish(self) -> None:
        assert self._epoch is not None
        expires_at = time.time() + (self._deadline - time.monotonic())
        await self._announce(self._info(self._backend.holder, self._epoch, expires_at))

    async def _announce_end(self, epoch: int) -> None:
        """Tell everyone this term is over (ignored by the board if a newer term is published)."""
        await self._announce(self._info(None, epoch, time.time()))

    def _info(self, holder: str | None, epoch: int, expires_at: float) -> LeaderInfo:
        backend = self._backend.name
        return LeaderInfo(
            holder=holder, epoch=epoch, expires_at=expires_at, backend=backend, origin=self._origin
        )

    async def _announce(self, info: LeaderInfo) -> None:
        try:
            await asyncio.wait_for(self._board.publish(info), self._budget)
        except _SIDE_ERRORS as exc:
            log.warning("lease_publish_failed", epoch=info.epoch, reason=_reason(exc))

    async def _shutdown(self) -> None:
        """Release the term if still held, then close the backend. Logs, never raises."""
        epoch, self._epoch = self._epoch, None
        if epoch is not None and time.monotonic() < self._deadline:
            await self._release(epoch)
        elif epoch is not None:
            log.info("lease_release_skipped", epoch=epoch, reason="term already expired")
        await self._backend.aclose()

    async def _release(self, epoch: int) -> None:
        try:
            released = await asyncio.wait_for(self._backend.release(), self._budget)
        except (LeaseBackendFailed, RedisError, psycopg.Error) as exc:
            log.warning("lease_release_failed", epoch=epoch, reason=_reason(exc))
            return
        except (LeaseError, TimeoutError, OSError) as exc:
            log.info("lease_release_skipped", epoch=epoch, reason=_reason(exc))
            return
        if not released:
            log.info("lease_release_skipped", epoch=epoch, reason="no longer held")
            return
        log.info("lease_released", epoch=epoch)
        await self._announce_end(epoch)


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
