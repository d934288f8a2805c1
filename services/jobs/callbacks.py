"""The callback consumer: reads verified KIE callbacks from the stream (consumer group `jobs`).

For each entry: a settled job → acknowledged, nothing else (duplicates, late callbacks); a job with no
task id yet (createTask's answer was lost to a crash or timeout) → the callback's taskId is recorded
on it; then the task is confirmed with recordInfo (the callback itself is only a hint) and settled.
An entry is acknowledged once handled, even if the task turned out unfinished or its result could not
be fetched yet: the job is `submitted`, so the leader's poller takes it from there.

The mechanics are :class:`shared.streams.consumer.StreamConsumer`'s: an entry whose handling raises
(database down, a bug) is retried with backoff and, after ``max_attempts``, moved to the dead-letter
stream ``{kie}:callbacks-dead`` with one admin alert; it is never retried after that. The job itself is
deliberately left as it is, not refunded here: recording the taskId comes first, so once any attempt
got that far the job is `submitted` with its task, and the leader's poller settles it from recordInfo
like any lost callback: captured with a result the user gets, or refunded if KIE failed the task. A
refund here could return credits for a task KIE completed and charged for (the operator would pay for
what no user paid); a capture here would take credits without a result the user can get.
"""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
import structlog

from services.jobs.finisher import Finisher
from shared import metrics
from shared.jobs import CallbackEntry, JobStore, JobTracking
from shared.keys import Keys
from shared.ops.alerts import AlertLog
from shared.streams.consumer import ConsumerConfig, StreamConsumer, StreamSource
from shared.streams.dead_letter import DeadLetters, Origin

__all__ = ["GROUP", "CallbackConsumer"]

log = structlog.get_logger()

GROUP = "jobs"


class CallbackConsumer:
    """One process's share of the callback stream."""

    def __init__(
        self,
        redis: aioredis.Redis,
        keys: Keys,
        name: str,
        store: JobStore,
        tracking: JobTracking,
        finisher: Finisher,
        *,
        config: ConsumerConfig,
    ) -> None:
        self._store = store
        self._tracking = tracking
        self._finisher = finisher
        dead = DeadLetters(
            redis,
            AlertLog(redis, keys),
            stream=keys.kie_callbacks_dead,
            origin=Origin.of_consumer(name),
            on_dead=metrics.CALLBACKS_DEAD_LETTERED.inc,
        )
        self._consumer = StreamConsumer(
            redis,
            StreamSource(keys.kie_callbacks, GROUP, keys.kie_callback_failures),
            name,
            decode=CallbackEntry.from_fields,
            handle=self.handle,
            dead_letters=dead,
            config=config,
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop`, then finish what is in flight."""
        await self._consumer.run(stop)

    async def handle(self, entry: CallbackEntry) -> None:
        """Match the callback to its job and settle the job from KIE's record; raises to be retried."""
        job = await self._store.get(entry.job_id)
        if job is None:
            log.warning("callback_for_missing_job")
            return
        if job.state.is_terminal:
            if job.kie_task_id != entry.task_id:
                log.warning("job_settled_late_callback", state=job.state.value)
            return
        if job.kie_task_id is None:
            log.info("job_task_matched_by_callback")
            job = await self._tracking.record_task(entry.job_id, entry.task_id) or job
        await self._finisher.confirm(job)
