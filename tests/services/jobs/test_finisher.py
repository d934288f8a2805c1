"""Finisher: no capture without a result the user can get, against the Bot API emulator's refusals.

The emulator refuses sends the way Telegram does (400 for a file it will not take as that media type,
403 for a user who blocked the bot, 413 for a file over the limit, 500 when it is down); the job is
captured only once the result is in the chat, and refunded, never captured, when it cannot get there.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from emulators.telegram import FaultKind, FaultRule
from shared.chat.result_links import ResultLinks
from shared.jobs import FailureReason, JobState
from tests.services.jobs.test_tracker import (
    LINK_BASE,
    LINK_KEY,
    Rig,
    _download_policy,
    _rig,
    _task_of,
    _tracker_pool,
)

__all__ = ["_download_policy", "_rig", "_tracker_pool"]


async def _finished(rig: Rig) -> uuid.UUID:
    """A job KIE has completed (frozen clock), not yet confirmed."""
    job = await rig.new_job()
    await rig.submitter.submit_ready()
    rig.kie_state.complete_task(await _task_of(rig, job.id))
    return job.id


async def _ledger_kinds(rig: Rig, job_id: uuid.UUID) -> list[str]:
    async with rig.pool.connection() as conn:
        rows = await (
            await conn.execute("SELECT kind FROM ledger WHERE job_id = %s ORDER BY id", (job_id,))
        ).fetchall()
    return [row[0] for row in rows]


async def _kie_cost(rig: Rig, job_id: uuid.UUID) -> float:
    async with rig.pool.connection() as conn:
        row = await (
            await conn.execute("SELECT kie_credits_consumed FROM jobs WHERE id = %s", (job_id,))
        ).fetchone()
    assert row is not None and row[0] is not None
    return float(row[0])


def _refuse(rig: Rig, kind: FaultKind, *methods: str, count: int | None = 1) -> None:
    for method in methods:
        rig.telegram.faults.add(FaultRule(method, kind, count=count))


class TestDeliveryBeforeCapture:
    async def test_refused_photo_goes_as_a_document_and_is_captured(self, rig: Rig) -> None:
        """sendPhoto refused (400): the picture arrives as a document, then the price is captured."""
        job_id = await _finished(rig)
        _refuse(rig, FaultKind.BAD_REQUEST, "sendPhoto")
        assert await rig.finisher.confirm(await rig.job(job_id))
        done = await rig.job(job_id)
        assert done.state is JobState.SUCCEEDED and done.delivered_at is not None
        assert "document" in rig.replies()[0].content
        assert await _ledger_kinds(rig, job_id) == ["hold", "capture"]
        assert await _kie_cost(rig, job_id) > 0  # creditsConsumed of the record, for the money report

    @pytest.mark.parametrize("kind", [FaultKind.BAD_REQUEST, FaultKind.TOO_LARGE])
    async def test_refused_as_media_and_document_goes_as_a_link_and_is_captured(
        self, rig: Rig, kind: FaultKind
    ) -> None:
        """Photo and document refused (400 or 413): a link the bot serves for a stated time, then capture."""
        job_id = await _finished(rig)
        _refuse(rig, kind, "sendPhoto", "sendDocument")
        assert await rig.finisher.confirm(await rig.job(job_id))
        done = await rig.job(job_id)
        assert done.state is JobState.SUCCEEDED and done.delivered_at is not None
        assert await _ledger_kinds(rig, job_id) == ["hold", "capture"]
        [sent] = rig.replies()
        text = sent.text or ""
        assert "download link, valid until" in text
        link = next(word for word in text.split() if "/results/" in word)
        assert link.startswith(LINK_BASE)
        token = link.rsplit("/", 1)[1]
        assert ResultLinks(LINK_KEY, LINK_BASE).resolve(token, datetime.now(UTC)) == done.result_urls[0]

    async def test_refused_in_every_form_is_refunded_with_a_message(self, rig: Rig) -> None:
        """Photo, document and the link message all refused: refunded, never captured, the user told why."""
        job_id = await _finished(rig)
        _refuse(rig, FaultKind.BAD_REQUEST, "sendPhoto", "sendDocument", "sendMessage")
        assert await rig.finisher.confirm(await rig.job(job_id))
        done = await rig.job(job_id)
        assert done.state is JobState.FAILED and done.error_code is FailureReason.UNDELIVERABLE
        assert await _ledger_kinds(rig, job_id) == ["hold", "refund"]
        assert await _kie_cost(rig, job_id) > 0  # KIE was paid for it: the report flags such jobs
        assert await rig.ledger.balance(rig.user_id) == 100
        [told] = rig.replies()
        assert "Telegram would not accept the file" in (told.text or "")

    async def test_blocked_user_is_refunded_and_not_retried(self, rig: Rig) -> None:
        """403 blocked: refunded as unreachable, counted as told (nobody to tell), nothing captured."""
        job_id = await _finished(rig)
        _refuse(rig, FaultKind.FORBIDDEN, "sendPhoto")
        assert await rig.finisher.confirm(await rig.job(job_id))
        done = await rig.job(job_id)
        assert done.error_code is FailureReason.UNREACHABLE and done.notified_at is not None
        assert await _ledger_kinds(rig, job_id) == ["hold", "refund"]
        assert rig.replies() == []

    async def test_telegram_down_defers_without_settling(self, rig: Rig) -> None:
        """500 on every send: nothing settled (retried later); once Telegram answers it is delivered."""
        job_id = await _finished(rig)
        _refuse(rig, FaultKind.SERVER_ERROR, "sendPhoto", count=None)
        assert not await rig.finisher.confirm(await rig.job(job_id))
        assert (await rig.job(job_id)).state is JobState.SUBMITTED
        assert await _ledger_kinds(rig, job_id) == ["hold"]
        rig.telegram.faults.clear()
        assert await rig.finisher.confirm(await rig.job(job_id))
        assert await _ledger_kinds(rig, job_id) == ["hold", "capture"]


class TestBannedUser:
    async def test_ban_stops_delivery_and_refunds(self, rig: Rig) -> None:
        """A user banned while the job ran gets nothing more; the job is refunded, not captured."""
        job_id = await _finished(rig)
        async with rig.pool.connection() as conn:
            await conn.execute("UPDATE users SET banned = true WHERE id = %s", (rig.user_id,))
        assert await rig.finisher.confirm(await rig.job(job_id))
        done = await rig.job(job_id)
        assert done.error_code is FailureReason.BANNED and done.notified_at is not None
        assert await _ledger_kinds(rig, job_id) == ["hold", "refund"]
        assert rig.replies() == []

    async def test_queued_job_of_a_banned_user_is_not_submitted(self, rig: Rig) -> None:
        """The submitter skips a banned user's queued job: KIE never sees it."""
        job = await rig.new_job()
        async with rig.pool.connection() as conn:
            await conn.execute("UPDATE users SET banned = true WHERE id = %s", (rig.user_id,))
        await rig.submitter.submit_ready()
        assert (await rig.job(job.id)).state is JobState.QUEUED
