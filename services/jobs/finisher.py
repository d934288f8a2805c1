"""Settling a job from KIE's authoritative record: success → download, deliver, then capture;
fail → refund and tell; past the deadline → expire and refund.

A result is captured only once it reached the chat: the job is locked (`JobStore.settling`), the
result is sent (its media type, else as a document), and the capture commits with the delivery. When
Telegram refuses the file in every form the job is refunded with a plain message; when the chat
cannot be reached at all (the user blocked the bot) it is refunded and nobody is told; a user an admin
banned while the job ran gets nothing more (refunded, not told: nothing was delivered); when Telegram
is merely unavailable nothing is settled and the poller tries again (until the deadline refunds).
Refunds settle through `JobStore.refund`, at most once, so a duplicate callback, a poll racing a
callback, or a retry after a crash changes nothing; failure messages it could not send are picked up
by the leader's notify sweep.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import structlog

from services.jobs.failcodes import failure_reason
from services.jobs.notifier import Notifier
from shared.catalog.errors import CatalogError
from shared.chat.delivery import (
    Downloader,
    DownloadError,
    Media,
    SendRetryLater,
    Undeliverable,
    Unreachable,
)
from shared.jobs import FailureReason, FollowUpRequest, Job, JobState, JobStore, Settling
from shared.kie import KieClient, KieError, TaskRecord, TaskState

__all__ = ["Finisher", "failure_reason"]

log = structlog.get_logger()


class Finisher:
    """Confirms, settles and announces jobs; shared by the callback consumer and the leader's poller.

    `routes` names the KIE API family of a model id, whose record call is the authority on a task.
    """

    def __init__(
        self,
        store: JobStore,
        kie: KieClient,
        downloader: Downloader,
        notifier: Notifier,
        *,
        routes: Callable[[str], str],
    ) -> None:
        self._store = store
        self._kie = kie
        self._routes = routes
        self._downloader = downloader
        self._notifier = notifier

    async def confirm(self, job: Job) -> bool:
        """Ask the task's family for its record and settle the job if final. True once it is settled."""
        if job.state.is_terminal:
            return True
        if job.kie_task_id is None:
            return False
        try:
            record = await self._record(job, job.kie_task_id)
        except CatalogError as exc:  # the model left the registry: the deadline sweep refunds the job
            log.warning("job_confirm_model_unknown", job_id=str(job.id), reason=str(exc))
            return False
        except KieError as exc:
            log.info("job_confirm_deferred", job_id=str(job.id), error=type(exc).__name__, code=exc.code)
            return False
        return await self.settle(job, record)

    async def _record(self, job: Job, task_id: str) -> TaskRecord:
        """The task's record from its family; a 1080p upgrade (no task) is its URL once KIE has it."""
        follow_up = FollowUpRequest.of(job.params)
        if follow_up is None or not follow_up.polled:
            return await self._kie.record(self._routes(job.model_id), task_id)
        url = await self._kie.veo_1080p(follow_up.task_id, follow_up.index)
        state = TaskState.SUCCESS if url else TaskState.GENERATING
        return TaskRecord(task_id, job.model_id, state, "", result_urls=(url,) if url else ())

    async def settle(self, job: Job, record: TaskRecord) -> bool:
        """Settle the job from a final record; False while it runs or its result cannot be fetched yet."""
        if record.state in (TaskState.SUCCESS, TaskState.FAIL) and record.credits_consumed is not None:
            await self._store.record_kie_cost(job.id, record.credits_consumed)  # for the money report
        if record.state is TaskState.SUCCESS:
            return await self._succeed(job, record)
        if record.state is TaskState.FAIL:
            detail = f"the model failed (KIE failCode {record.fail_code or 'none'})"
            await self.fail(job, failure_reason(record.fail_code, record.fail_msg), detail)
            return True
        return False

    async def fail(
        self, job: Job, reason: FailureReason, detail: str, state: JobState = JobState.FAILED
    ) -> None:
        """Refund the job once and tell the user why."""
        outcome = await self._store.refund(job.id, reason, detail=detail, state=state)
        if outcome.changed:
            log.info("job_refunded", job_id=str(job.id), state=state.value, reason=reason.value)
            await self._notifier.notify(job.id)

    async def expire(self, job: Job) -> None:
        """A job past its deadline: one last look at KIE, then expire and refund."""
        if job.kie_task_id is not None and await self.confirm(job):
            return
        detail = {
            JobState.QUEUED: "could not be submitted before the time limit",
            JobState.SUBMITTING: "createTask outcome unknown and no callback before the time limit",
        }.get(job.state, "no result before the time limit")
        await self.fail(job, FailureReason.TIMEOUT, detail, JobState.EXPIRED)

    async def _succeed(self, job: Job, record: TaskRecord) -> bool:
        if not record.result_urls:
            await self.fail(job, FailureReason.RESULT_UNAVAILABLE, "KIE reported success without a file")
            return True
        try:
            media = [await self._fetch(url, record) for url in record.result_urls]
        except DownloadError as exc:
            if not exc.permanent:
                log.warning("job_result_download_deferred", job_id=str(job.id), reason=str(exc))
                return False
            await self.fail(job, FailureReason.RESULT_UNAVAILABLE, f"result could not be fetched: {exc}")
            return True
        return await self._capture(job, record, media)

    async def _fetch(self, url: str, record: TaskRecord) -> Media:
        """A result file with its title and cover where the family names them (Suno tracks)."""
        item = next((item for item in record.items if item.url == url), None)
        media = await self._downloader.fetch(url)
        if item is None:
            return media
        return replace(media, title=item.title, cover=await self._cover(item.cover_url))

    async def _cover(self, url: str | None) -> bytes | None:
        """The cover image, or None: a cover that cannot be fetched does not hold the track back."""
        if url is None:
            return None
        try:
            return (await self._downloader.fetch(url)).data
        except DownloadError as exc:
            log.info("job_cover_skipped", url=url, reason=str(exc))
            return None

    async def _capture(self, job: Job, record: TaskRecord, media: list[Media]) -> bool:
        """Deliver, then capture in the same lock; False when Telegram should be tried again later."""
        async with self._store.settling(job.id) as settling:
            if settling is None:  # settled meanwhile (a duplicate callback, a poll, a cancel)
                return True
            if settling.banned:  # banned while it ran: never delivered, so never captured
                await settling.refunded(FailureReason.BANNED, "the user was banned", notified=True)
                log.info("job_of_banned_user_refunded", job_id=str(job.id))
                return True
            try:
                message_id = await self._notifier.send_result(settling.job, settling.language, media)
            except SendRetryLater as exc:
                log.warning("job_delivery_deferred", job_id=str(job.id), reason=str(exc))
                return False
            except (Undeliverable, Unreachable) as exc:
                told = await self._undelivered(settling, exc)
            else:
                await settling.captured(record.result_urls, message_id)
                log.info("job_succeeded", job_id=str(job.id), task_id=record.task_id)
                return True
        if told:
            await self._notifier.notify(job.id)
        return True

    async def _undelivered(self, settling: Settling, exc: Undeliverable | Unreachable) -> bool:
        """Refund a result that cannot reach the user; True when the user should be told why."""
        unreachable = isinstance(exc, Unreachable)
        reason = FailureReason.UNREACHABLE if unreachable else FailureReason.UNDELIVERABLE
        detail = f"{'the chat cannot be reached' if unreachable else 'Telegram refused the result'}: {exc}"
        await settling.refunded(reason, detail, notified=unreachable)
        log.warning(
            "job_undelivered_refunded", job_id=str(settling.job.id), reason=reason.value, detail=detail
        )
        return not unreachable
