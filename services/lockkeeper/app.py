"""The lock keeper's loop: acquire the lease when free, renew it every TTL/3, step down when unsure.

Deadlines are measured on the monotonic clock from the moment *before* a renewal was sent, so a slow
answer can only shorten this holder's term, never lengthen it.
"""

from __future__ import annotations

import asyncio
import time

import structlog
from redis.exceptions import RedisError

from shared.aio import wait_stopped
from shared.heartbeat import ProcessState
from shared.lease import LeaderInfo, RedisLease
from shared.process import Program, Runtime

__all__ = ["PROGRAM", "LeaseKeeper"]

log = structlog.get_logger()


class LeaseKeeper:
    """Drives one :class:`RedisLease` through acquire → renew → release."""

    def __init__(self, lease: RedisLease, ttl_seconds: float) -> None:
        self._lease = lease
        self._ttl = ttl_seconds
        self._epoch: int | None = None
        self._deadline = 0.0

    @property
    def leading(self) -> bool:
        return self._epoch is not None and time.monotonic() < self._deadline

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await (self._renew() if self._epoch is not None else self._try_acquire())
            await wait_stopped(stop, self._ttl / 3)
        await self._release()

    async def _try_acquire(self) -> None:
        sent_at = time.monotonic()
        try:
            epoch = await self._lease.try_acquire()
        except (RedisError, OSError) as exc:
            log.warning("lease_acquire_failed", reason=str(exc))
            return
        if epoch is not None:
            self._epoch, self._deadline = epoch, sent_at + self._ttl
            log.info("lease_acquired", epoch=epoch, holder=self._lease.holder)
            await self._publish()

    async def _renew(self) -> None:
        sent_at = time.monotonic()
        try:
            renewed = await asyncio.wait_for(self._lease.renew(), max(0.05, self._deadline - sent_at))
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning("lease_renew_failed", reason=str(exc) or type(exc).__name__, epoch=self._epoch)
            if time.monotonic() >= self._deadline:
                self._step_down("renewal not confirmed before expiry")
            return
        if not renewed:
            self._step_down("lease held by another holder")
            return
        self._deadline = sent_at + self._ttl
        await self._publish()

    def _step_down(self, reason: str) -> None:
        log.warning("lease_lost", epoch=self._epoch, reason=reason)
        self._epoch = None

    async def _publish(self) -> None:
        assert self._epoch is not None
        expires_at = time.time() + (self._deadline - time.monotonic())
        info = LeaderInfo(holder=self._lease.holder, epoch=self._epoch, expires_at=expires_at)
        try:
            await self._lease.publish(info)
        except (RedisError, OSError) as exc:
            log.warning("lease_publish_failed", reason=str(exc))

    async def _release(self) -> None:
        if self._epoch is None:
            return
        epoch, self._epoch = self._epoch, None
        try:
            released = await self._lease.release()
        except (RedisError, OSError) as exc:
            log.info("lease_release_skipped", epoch=epoch, reason=str(exc) or type(exc).__name__)
            return
        if released:
            await self._lease.publish(LeaderInfo(holder=None, epoch=epoch, expires_at=time.time()))
        log.info("lease_released" if released else "lease_release_skipped", epoch=epoch)


async def serve(runtime: Runtime) -> None:
    """Keep the lease until the stop event, then release it if still held."""
    ttl = runtime.settings.LEASE_TTL_SECONDS
    lease = RedisLease(runtime.redis, runtime.keys, runtime.identity.holder_id, ttl)
    runtime.set_state(ProcessState.RUNNING)
    await LeaseKeeper(lease, ttl).run(runtime.stop)


PROGRAM = Program(name="lockkeeper", serve=serve, needs_db=False)
