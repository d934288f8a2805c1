"""The outbox consumer: claims queued jobs (FOR UPDATE SKIP LOCKED) and submits them to KIE.

A claim moves the job to `submitting` and commits before createTask is sent; the answer's taskId moves
it to `submitted`. What each createTask failure does (the client has already retried what is safe):

- provably nothing created (429 or 455 after the client's retries, connection never made, Redis down
  before sending): back to `queued` with a backoff, submitted again later;
- a definite rejection: 422/400 → refunded as bad input; 401/402/433/505 and other codes → refunded
  as "temporarily unavailable" (KIE-side problems the user cannot fix);
- `KieSubmitOutcomeUnknownError` (timeout after sending, dropped connection, 5xx, garbled answer): a
  task MAY exist and cost money, so the job is NEVER submitted again. It stays `submitting`.

Recovery of a job left in `submitting` (an unknown outcome, or this process killed between
createTask and recording the taskId):

1. If KIE did create the task, its callback URL carries our job id. The webhook accepts it (the job
   exists and has no task id yet), the callback consumer records the callback's taskId on the job
   (`JobTracking.record_task`, first writer wins), confirms with recordInfo and settles as usual.
2. If no callback arrives by the job's deadline (its model's time limit counted from the claim), the
   leader's deadline sweep expires the job and refunds the hold once. A callback arriving after that
   finds a settled job and changes nothing; the KIE credits such a task may have cost are lost, and
   the `job_settled_late_callback` log line names the job and task for the operator.

Nothing here ever resubmits a `submitting` job, so a job cannot be paid to KIE twice silently.

A follow-up job (`shared.jobs.FollowUpRequest` in its params: Veo 4K, Midjourney upscale/vary, Suno
extend) goes to its family's follow-up endpoint under the same rules; Suno's extend first reads the
finished task's record for the track's id. Veo's 1080p upgrade is no task: one GET starts it (any
failure requeues the job: asking again is harmless), and the poller asks until the URL comes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog
from redis.exceptions import RedisError

from services.jobs.finisher import Finisher
from shared.aio import wait_stopped
from shared.backoff import Backoff
from shared.catalog import FollowUp
from shared.catalog.errors import CatalogError
from shared.jobs import FailureReason, FollowUpRequest, Job, JobTracking, callback_url
from shared.kie import (
    KieBadRequestError,
    KieClient,
    KieConnectError,
    KieError,
    KieRateLimitedError,
    KieServiceUnavailableError,
    KieSubmitOutcomeUnknownError,
    KieValidationError,
    TaskState,
)

__all__ = ["Submitter"]

_REQUEUE_BACKOFF = Backoff(base=1.0, cap=60.0)
"""A job KIE could not take yet waits 1, 2, 4 … seconds, at most a minute, before its next try."""

log = structlog.get_logger()

_NOTHING_CREATED = (KieRateLimitedError, KieServiceUnavailableError, KieConnectError)
_BAD_INPUT = (KieValidationError, KieBadRequestError)


class Submitter:
    """Submits queued jobs, at most `concurrency` at a time.

    `routes` names the KIE API family of a model id (the registry's `route`): Market, Suno, Veo...;
    every family is submitted, recovered and settled the same way.
    """

    def __init__(
        self,
        tracking: JobTracking,
        kie: KieClient,
        finisher: Finisher,
        *,
        public_base_url: str,
        token_key: bytes,
        concurrency: int,
        poll_seconds: float,
        routes: Callable[[str], str],
        drain_seconds: float = 20.0,
    ) -> None:
        self._tracking = tracking
        self._kie = kie
        self._routes = routes
        self._finisher = finisher
        self._base = public_base_url
        self._token_key = token_key
        self._concurrency = concurrency
        self._poll = poll_seconds
        self._drain = drain_seconds
        self._in_flight: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and submit until `stop`; then let in-flight submissions finish (bounded)."""
        try:
            while not stop.is_set():
                claimed = await self._claim()
                if not claimed and await wait_stopped(stop, self._poll):
                    break
        finally:
            await self._finish_in_flight()

    async def submit_ready(self) -> int:
        """Claim what is queued and ready now (up to `concurrency`), submit it, and wait for the answers."""
        jobs = await self._tracking.claim_for_submit(self._concurrency)
        await asyncio.gather(*(self._submit(job) for job in jobs))
        return len(jobs)

    async def _claim(self) -> int:
        free = self._concurrency - len(self._in_flight)
        if free <= 0:
            await asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)
            return 1
        try:
            jobs = await self._tracking.claim_for_submit(free)
        except Exception as exc:  # database trouble: keep the loop alive, claim again later
            log.warning("job_claim_failed", reason=type(exc).__name__)
            return 0
        for job in jobs:
            task = asyncio.create_task(self._submit(job), name=f"submit:{job.id}")
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
        return len(jobs)

    async def _submit(self, job: Job) -> None:
        with structlog.contextvars.bound_contextvars(job_id=str(job.id)):
            try:
                await self._create(job)
            except Exception:
                log.exception("job_submit_crashed")  # stays `submitting`: recovered as documented above

    async def _create(self, job: Job) -> None:
        url = callback_url(self._base, job.id, self._token_key)
        try:
            route = self._routes(job.model_id)
        except CatalogError as exc:  # the model left the registry after the job was paid: nothing was sent
            log.warning("job_model_unknown", model=job.model_id, reason=str(exc))
            await self._finisher.fail(job, FailureReason.UNAVAILABLE, f"model {job.model_id} is not offered")
            return
        follow_up = FollowUpRequest.of(job.params)
        if follow_up is not None and follow_up.polled:
            await self._start_polled(job, follow_up)
            return
        try:
            task_id = await self._send(job, route, follow_up, url)
        except KieSubmitOutcomeUnknownError as exc:
            log.warning("job_submit_outcome_unknown", cause=type(exc.cause).__name__, code=exc.code)
            return
        except _NOTHING_CREATED as exc:
            await self._requeue(job, type(exc).__name__)
            return
        except RedisError as exc:  # the shared budget could not be taken: nothing was sent
            await self._requeue(job, type(exc).__name__)
            return
        except KieError as exc:
            await self._rejected(job, exc)
            return
        await self._tracking.record_task(job.id, task_id)
        log.info("job_submitted", task_id=task_id, model=job.model_id, route=route)

    async def _send(self, job: Job, route: str, follow_up: FollowUpRequest | None, url: str) -> str:
        """Create the job's task: a generation, or a follow-up on a finished task (same rules)."""
        if follow_up is None:
            return await self._kie.submit(route, job.model_id, job.params, callback_url=url)
        if follow_up.action is FollowUp.EXTEND:
            fields = FollowUpRequest.extend_fields(await self._track_id(route, follow_up), job.model_id)
        else:
            fields = follow_up.kie_fields()
        return await self._kie.follow_up(route, follow_up.action.value, fields, callback_url=url)

    async def _track_id(self, route: str, follow_up: FollowUpRequest) -> str:
        """The id of the track Suno's extend continues, from the finished task's record (free to ask)."""
        record = await self._kie.record(route, follow_up.task_id)
        items = record.items if record.state is TaskState.SUCCESS else ()
        track = items[follow_up.index].id if follow_up.index < len(items) else None
        if not track:
            raise KieValidationError(f"the finished task has no track {follow_up.index + 1}", code=422)
        return track

    async def _start_polled(self, job: Job, follow_up: FollowUpRequest) -> None:
        """Ask for the 1080p upgrade once (KIE starts it on the first call; the answer says "not ready"
        until it is), then leave the job to the poller. The call is a GET: any failure is retried."""
        try:
            await self._kie.veo_1080p(follow_up.task_id, follow_up.index)
        except (KieError, RedisError) as exc:
            await self._requeue(job, type(exc).__name__)
            return
        task_id = follow_up.polled_task_id(job.id.hex)
        await self._tracking.record_task(job.id, task_id, polled=True)
        log.info("job_submitted", task_id=task_id, model=job.model_id, follow_up=follow_up.action.value)

    async def _requeue(self, job: Job, why: str) -> None:
        delay = _REQUEUE_BACKOFF.delay(job.attempts)
        log.info("job_requeued", reason=why, delay_seconds=delay)
        await self._tracking.requeue(job.id, delay)

    async def _rejected(self, job: Job, exc: KieError) -> None:
        reason = FailureReason.BAD_INPUT if isinstance(exc, _BAD_INPUT) else FailureReason.UNAVAILABLE
        log.warning("job_rejected_by_kie", error=type(exc).__name__, code=exc.code)
        await self._finisher.fail(job, reason, f"KIE refused the task (code {exc.code})")

    async def _finish_in_flight(self) -> None:
        if not self._in_flight:
            return
        # A createTask cut short is an unknown outcome; give in-flight ones time to get their answer.
        _, late = await asyncio.wait(set(self._in_flight), timeout=self._drain)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
