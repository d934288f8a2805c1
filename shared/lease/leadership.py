"""Leadership for any program: does THIS host lead right now, with which epoch, and leader-only duties.

The lock keeper publishes the lease to Redis (``shared.lease.backend.publish_leader``). :class:`LeaderWatch`
follows it: it subscribes to the leader channel, reads the state key after subscribing (and again
after every reconnect and every few seconds, in case a message was missed), and judges a state whose
``expires_at`` has passed as "nobody leads". The lock keeper stops considering itself leader at that
same instant, so a duty stops no later than its lock keeper would.

:func:`run_while_leader` runs one leader duty: it starts ``duty(epoch)`` when this host becomes leader
and cancels it when this host stops leading (or a new term starts, or the program stops)::

    watch = LeaderWatch(runtime.redis, runtime.keys, runtime.identity.host)
    async with asyncio.TaskGroup() as tg:
        tg.create_task(watch.run(runtime.stop))
        tg.create_task(run_while_leader(watch, refresh_catalogue, runtime.stop, name="catalogue"))

Cancellation stops a duty promptly but cannot undo a write already on the wire: every write a duty
makes to shared state must carry its epoch through :mod:`shared.lease.fencing`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from shared.aio import unless_stopped, wait_stopped
from shared.keys import Keys
from shared.lease.backend import LeaderInfo, read_leader

__all__ = ["LeaderDuty", "LeaderWatch", "run_while_leader"]

log = structlog.get_logger()

LeaderDuty = Callable[[int], Coroutine[Any, Any, None]]
"""A leader-only job: called with the epoch of the term it runs in, cancelled when the term ends."""

_REFRESH_SECONDS = 2.0


class LeaderWatch:
    """This host's live view of the leader lease, kept current by :meth:`run`."""

    def __init__(
        self,
        redis: aioredis.Redis,
        keys: Keys,
        host: str,
        *,
        clock: Callable[[], float] = time.time,
        retry_seconds: float = 0.5,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._host = host
        self._clock = clock
        self._retry = retry_seconds
        self._state: LeaderInfo | None = None
        self._changed = asyncio.Event()
        self._view: int | None = None
        self._expiry: asyncio.TimerHandle | None = None

    @property
    def leader(self) -> LeaderInfo | None:
        """The live leader state, or None when nobody leads (or nothing is known)."""
        state = self._state
        return state if state is not None and state.is_live(self._clock()) else None

    def leading_epoch(self) -> int | None:
        """The epoch of this host's current term, or None when this host does not lead."""
        leader = self.leader
        return leader.epoch if leader is not None and leader.host == self._host else None

    async def next_change(self) -> None:
        """Wait until this host's leadership (leading or not, and the epoch) may have changed."""
        await self._changed.wait()

    async def wait_leading(self, stop: asyncio.Event) -> int | None:
        """Wait until this host leads and return the epoch; None if ``stop`` is set first."""
        while not stop.is_set():
            epoch = self.leading_epoch()
            if epoch is not None:
                return epoch
            await _first_of(self.next_change(), stop.wait())
        return None

    async def run(self, stop: asyncio.Event) -> None:
        """Follow the leader channel until ``stop``; reconnects after any Redis failure."""
        while not stop.is_set():
            try:
                await self._follow(stop)
            except (RedisError, OSError) as exc:
                log.warning("leader_watch_disconnected", reason=str(exc) or type(exc).__name__)
                self._check()
            await wait_stopped(stop, self._retry)
        self._state = None
        self._check()
        if self._expiry is not None:
            self._expiry.cancel()

    async def _follow(self, stop: asyncio.Event) -> None:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self._keys.leader_channel)
            # Read after subscribing: a change published in between arrives as a message.
            await self._refresh()
            refreshed = time.monotonic()
            while not stop.is_set():
                message = await unless_stopped(pubsub.get_message(timeout=1.0), stop)
                if message is not None and message.get("type") == "message":
                    self._apply(LeaderInfo.from_json(message["data"]))
                if time.monotonic() - refreshed >= _REFRESH_SECONDS:
                    await self._refresh()
                    refreshed = time.monotonic()
                self._check()
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated

    async def _refresh(self) -> None:
        """Take the state key as the truth (it is newer than anything received before it)."""
        self._state = await read_leader(self._redis, self._keys)
        self._check()

    def _apply(self, info: LeaderInfo) -> None:
        """Apply an announcement unless it is older than what is known."""
        if self._state is None or info.epoch >= self._state.epoch:
            self._state = info

    def _check(self) -> None:
        """Wake the waiters of :meth:`next_change` when this host's view changed."""
        view = self.leading_epoch()
        if view != self._view:
            log.info("leadership_changed", leading=view is not None, epoch=view)
            self._view = view
            changed, self._changed = self._changed, asyncio.Event()
            changed.set()
        self._arm_expiry()

    def _arm_expiry(self) -> None:
        """Re-check when the live state expires, even if Redis is silent or unreachable by then."""
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        leader = self.leader
        if leader is not None:
            delay = max(0.0, leader.expires_at - self._clock()) + 0.001
            self._expiry = asyncio.get_running_loop().call_later(delay, self._check)


async def run_while_leader(
    watch: LeaderWatch,
    duty: LeaderDuty,
    stop: asyncio.Event,
    *,
    name: str = "leader-duty",
    restart_delay: float = 1.0,
) -> None:
    """Run ``duty(epoch)`` whenever this host leads; cancel it as soon as this host stops leading.

    A duty that returns is done for its term (it runs again in the next term). A duty that raises is
    logged and restarted after ``restart_delay`` if the term is still on. Returns when ``stop`` is set,
    after the running duty (if any) has been cancelled and awaited. ``watch.run`` must be running.
    """
    while not stop.is_set():
        epoch = await watch.wait_leading(stop)
        if epoch is None:
            return
        task = asyncio.create_task(duty(epoch), name=f"{name}:epoch-{epoch}")
        log.info("leader_duty_started", duty=name, epoch=epoch)
        try:
            await _until_term_ends(watch, epoch, stop, task)
        finally:
            await _cancel(task)
        if _report(task, name, epoch):
            await _first_of(watch.next_change(), stop.wait(), asyncio.sleep(restart_delay))
        else:
            while watch.leading_epoch() == epoch and not stop.is_set():
                await _first_of(watch.next_change(), stop.wait())


async def _until_term_ends(
    watch: LeaderWatch, epoch: int, stop: asyncio.Event, task: asyncio.Task[None]
) -> None:
    while watch.leading_epoch() == epoch and not stop.is_set() and not task.done():
        await _first_of(watch.next_change(), stop.wait(), task)


async def _cancel(task: asyncio.Task[None]) -> None:
    """Cancel ``task`` and wait for it to finish, whatever it raises."""
    task.cancel()
    await asyncio.wait({task})


def _report(task: asyncio.Task[None], name: str, epoch: int) -> bool:
    """Log how a duty ended; return whether it failed."""
    if task.cancelled():
        log.info("leader_duty_stopped", duty=name, epoch=epoch)
        return False
    exc = task.exception()
    if exc is None:
        log.info("leader_duty_finished", duty=name, epoch=epoch)
        return False
    log.error("leader_duty_failed", duty=name, epoch=epoch, exc_info=exc)
    return True


async def _first_of(*awaitables: Awaitable[object]) -> None:
    """Wait until the first of ``awaitables`` completes; cancel the helpers this created."""
    tasks = [asyncio.ensure_future(item) for item in awaitables]
    created = [task for task, item in zip(tasks, awaitables, strict=True) if task is not item]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in created:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*created, return_exceptions=True)
