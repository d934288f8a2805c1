"""The callback consumer: reads verified KIE callbacks from the stream (consumer group `jobs`).

For each entry: a settled job → acknowledged, nothing else (duplicates, late callbacks); a job with no
task id yet (createTask's answer was lost to a crash or timeout) → the callback's taskId is recorded
on it; then the task is confirmed with recordInfo (the callback itself is only a hint) and settled.
An entry is acknowledged once handled, even if the task turned out unfinished or its result could not
be fetched yet: the job is `submitted`, so the leader's poller takes it from there. An entry whose
handling raised (database down) stays pending and is claimed again after `claim_idle_ms`, by this
consumer or, if it died, by another one.
"""

from __future__ import annotations

import asyncio
import uuid

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from services.jobs.finisher import Finisher
from shared import streams
from shared.aio import wait_stopped
from shared.jobs import JobStore, JobTracking
from shared.keys import Keys

__all__ = ["CallbackConsumer"]

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
        concurrency: int,
        claim_idle_ms: int,
    ) -> None:
        self._redis = redis
        self._stream = keys.kie_callbacks
        self._name = name
        self._store = store
        self._tracking = tracking
        self._finisher = finisher
        self._slots = asyncio.Semaphore(concurrency)
        self._claim_idle_ms = claim_idle_ms
        self._in_flight: set[asyncio.Task[None]] = set()
        self._active: set[str] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop`, then finish what is in flight."""
        await streams.ensure_group(self._redis, self._stream, GROUP)
        try:
            await self._read(stop, "0")
            next_claim = asyncio.get_running_loop().time() + self._claim_idle_ms / 3000
            while not stop.is_set():
                await self._read(stop, ">")
                if asyncio.get_running_loop().time() >= next_claim:
                    await self._claim_idle()
                    next_claim = asyncio.get_running_loop().time() + self._claim_idle_ms / 3000
        finally:
            if self._in_flight:
                await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _read(self, stop: asyncio.Event, cursor: str) -> None:
        try:
            entries = await streams.read_group(
                self._redis, GROUP, self._name, self._stream, cursor, count=50, block_ms=1000
            )
        except (RedisError, OSError) as exc:
            log.warning("callback_read_failed", reason=str(exc))
            await wait_stopped(stop, 1.0)
            return
        for entry in entries:
            await self._start(entry)

    async def _claim_idle(self) -> None:
        """Take over entries idle past the claim time: a dead consumer's, or this one's failed ones."""
        try:
            pending = await streams.pending_idle(self._redis, self._stream, GROUP, self._claim_idle_ms, 50)
            ids = [item.entry_id for item in pending if item.entry_id not in self._active]
            if ids:
                claimed = await streams.claim(
                    self._redis, self._stream, GROUP, self._name, self._claim_idle_ms, ids
                )
                for entry in claimed:
                    await self._start(entry)
        except (RedisError, OSError) as exc:
            log.warning("callback_claim_failed", reason=str(exc))

    async def _start(self, entry: streams.Entry) -> None:
        if entry.entry_id in self._active:
            return
        await self._slots.acquire()
        self._active.add(entry.entry_id)
        task = asyncio.create_task(self._process(entry), name=f"callback:{entry.entry_id}")
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _process(self, entry: streams.Entry) -> None:
        try:
            await self._handle(entry)
            await self._redis.xack(self._stream, GROUP, entry.entry_id)
        except Exception:
            log.exception("callback_failed", entry_id=entry.entry_id)
        finally:
            self._active.discard(entry.entry_id)
            self._slots.release()

    async def _handle(self, entry: streams.Entry) -> None:
        job_id = uuid.UUID(entry.fields[b"job_id"].decode())
        task_id = entry.fields[b"task_id"].decode()
        with structlog.contextvars.bound_contextvars(job_id=str(job_id), task_id=task_id):
            job = await self._store.get(job_id)
            if job is None:
                log.warning("callback_for_missing_job")
                return
            if job.state.is_terminal:
                if job.kie_task_id != task_id:
                    log.warning("job_settled_late_callback", state=job.state.value)
                return
            if job.kie_task_id is None:
                log.info("job_task_matched_by_callback")
                job = await self._tracking.record_task(job_id, task_id) or job
            await self._finisher.confirm(job)
