"""The leader's sweep: polls jobs whose callback is overdue, expires jobs past their deadline, and
notifies settled jobs whose message was never sent (a crash between settling and sending).

It runs only on the leader's host (`run_while_leader`), so one host polls KIE for lost callbacks. Its
writes need no fencing epoch: every one is a settlement through `JobStore` (row-locked, at most once
per job) or a poll timestamp, so a deposed leader finishing a sweep cannot make a job pay or refund
twice, nor overwrite the new leader's decisions.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

import structlog

from services.jobs.finisher import Finisher
from services.jobs.notifier import Notifier
from shared.jobs import Job, JobTracking

__all__ = ["OverduePoller"]

log = structlog.get_logger()

T = TypeVar("T")

_BATCH = 50
# A job settled this recently is probably being notified by the process that settled it.
_NOTIFY_AFTER_SECONDS = 5.0


class OverduePoller:
    """One sweep every `interval_seconds` while this host leads."""

    def __init__(
        self,
        tracking: JobTracking,
        finisher: Finisher,
        notifier: Notifier,
        *,
        interval_seconds: float,
        parallel: int = 5,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._tracking = tracking
        self._finisher = finisher
        self._notifier = notifier
        self._interval = interval_seconds
        self._parallel = parallel
        self._clock = clock

    async def duty(self, epoch: int) -> None:
        """The leader duty: sweep until cancelled (when the term ends)."""
        log.info("job_poller_started", epoch=epoch)
        while True:
            try:
                await self.sweep()
            except Exception:  # a sweep that failed (database, KIE) is retried at the next interval
                log.exception("job_sweep_failed")
            await asyncio.sleep(self._interval)

    async def sweep(self) -> None:
        """Poll overdue jobs, expire late ones, notify the unnotified."""
        await self._each(await self._tracking.due_polls(_BATCH), self._poll)
        await self._each(await self._tracking.past_deadline(_BATCH), self._finisher.expire)
        unnotified = await self._tracking.unnotified(_NOTIFY_AFTER_SECONDS, _BATCH)
        await self._each(unnotified, self._notifier.notify)

    async def _poll(self, job: Job) -> None:
        if await self._finisher.confirm(job):
            return
        submitted = job.submitted_at.timestamp() if job.submitted_at else self._clock()
        await self._tracking.schedule_poll(job, self._clock() - submitted)

    async def _each(self, items: Iterable[T], action: Callable[[T], Awaitable[object]]) -> None:
        slots = asyncio.Semaphore(self._parallel)

        async def one(item: T) -> None:
            async with slots:
                try:
                    await action(item)
                except Exception:
                    log.exception("job_sweep_item_failed")

        await asyncio.gather(*(one(item) for item in items))
