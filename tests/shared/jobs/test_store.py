"""JobStore: a job and its hold together; capture or refund exactly once; cancel; history."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from psycopg_pool import AsyncConnectionPool

from shared.catalog import load_registry
from shared.jobs import FailureReason, JobError, JobNotFound, JobState, JobStore, NewJob
from shared.ledger import InsufficientCredits, Ledger, MovementKind


async def _funded(pool: AsyncConnectionPool, user_id: int, credits: int) -> Ledger:
    ledger = Ledger(pool)
    await ledger.ensure_user(user_id)
    await ledger.grant(user_id, credits, MovementKind.GRANT, "start", f"start:{user_id}")
    return ledger


def _new_job(user_id: int, price: int = 10, job_id: uuid.UUID | None = None) -> NewJob:
    return NewJob(
        user_id=user_id,
        chat_id=user_id,
        model_id="z-image",
        params={"prompt": "a fox", "aspect_ratio": "1:1"},
        price_credits=price,
        time_limit_seconds=60,
        typical_seconds=10,
        job_id=job_id or uuid.uuid4(),
    )


async def _kinds(pool: AsyncConnectionPool, job_id: uuid.UUID) -> list[str]:
    async with pool.connection() as conn:
        rows = await (
            await conn.execute("SELECT kind FROM ledger WHERE job_id = %s ORDER BY id", (job_id,))
        ).fetchall()
    return [row[0] for row in rows]


async def _submitted(pool: AsyncConnectionPool, job_id: uuid.UUID) -> None:
    async with pool.connection() as conn:
        await conn.execute(
            "UPDATE jobs SET state = 'submitted', kie_task_id = %s WHERE id = %s", (uuid.uuid4().hex, job_id)
        )


class TestCreateJob:
    async def test_job_and_hold_are_written_together(
        self, pool: AsyncConnectionPool, new_user_id: int
    ) -> None:
        """Creating a job queues it and holds its price from the balance."""
        ledger = await _funded(pool, new_user_id, 25)
        outcome = await JobStore(pool).create_job(_new_job(new_user_id))
        assert outcome.changed and outcome.job.state is JobState.QUEUED
        assert await ledger.balance(new_user_id) == 15
        assert await _kinds(pool, outcome.job.id) == ["hold"]

    async def test_insufficient_credits_writes_nothing(
        self, pool: AsyncConnectionPool, new_user_id: int
    ) -> None:
        """Too small a balance raises InsufficientCredits naming balance and price; no job, no row."""
        ledger = await _funded(pool, new_user_id, 5)
        new = _new_job(new_user_id, price=8)
        with pytest.raises(InsufficientCredits) as caught:
            await JobStore(pool).create_job(new)
        assert (caught.value.balance, caught.value.needed) == (5, 8)
        assert await JobStore(pool).get(new.job_id) is None
        assert await ledger.balance(new_user_id) == 5
        assert await _kinds(pool, new.job_id) == []

    async def test_same_job_id_creates_once(self, pool: AsyncConnectionPool, new_user_id: int) -> None:
        """Concurrent creates with one job id hold once and return the same job."""
        ledger = await _funded(pool, new_user_id, 100)
        new = _new_job(new_user_id)
        outcomes = await asyncio.gather(*(JobStore(pool).create_job(new) for _ in range(5)))
        assert sum(o.changed for o in outcomes) == 1
        assert {o.job.id for o in outcomes} == {new.job_id}
        assert await ledger.balance(new_user_id) == 90

    async def test_for_model_prices_from_registry(self, new_user_id: int) -> None:
        """NewJob.for_model validates input and takes price and time limits from the registry."""
        registry = load_registry()
        new = NewJob.for_model(
            registry,
            user_id=new_user_id,
            chat_id=new_user_id,
            model_id="z-image",
            params={"prompt": "x", "aspect_ratio": "1:1"},
        )
        model = registry.get("z-image")
        assert new.price_credits == registry.price("z-image", new.params)
        assert (new.time_limit_seconds, new.typical_seconds) == (
            model.time_limit_seconds,
            model.typical_seconds,
        )


class TestSettlement:
    async def test_capture_once(self, pool: AsyncConnectionPool, new_user_id: int) -> None:
        """A second capture changes nothing; the held credits stay spent."""
        ledger = await _funded(pool, new_user_id, 20)
        store = JobStore(pool)
        job = (await store.create_job(_new_job(new_user_id))).job
        await _submitted(pool, job.id)
        first = await store.capture(job.id, ["http://x/1.png"])
        second = await store.capture(job.id, ["http://x/1.png"])
        assert first.changed and not second.changed
        assert first.job.state is JobState.SUCCEEDED and first.job.result_urls == ("http://x/1.png",)
        assert await ledger.balance(new_user_id) == 10
        assert await _kinds(pool, job.id) == ["hold", "capture"]

    async def test_refund_once(self, pool: AsyncConnectionPool, new_user_id: int) -> None:
        """A refund returns the price once, with the reason kept on the job."""
        ledger = await _funded(pool, new_user_id, 20)
        store = JobStore(pool)
        job = (await store.create_job(_new_job(new_user_id))).job
        first = await store.refund(job.id, FailureReason.REFUSED, detail="content")
        second = await store.refund(job.id, FailureReason.REFUSED)
        assert first.changed and not second.changed
        assert first.job.state is JobState.FAILED and first.job.error_code is FailureReason.REFUSED
        assert await ledger.balance(new_user_id) == 20
        assert await _kinds(pool, job.id) == ["hold", "refund"]

    async def test_capture_after_refund_changes_nothing(
        self, pool: AsyncConnectionPool, new_user_id: int
    ) -> None:
        """Once refunded (e.g. expired), a late success neither captures nor charges."""
        ledger = await _funded(pool, new_user_id, 20)
        store = JobStore(pool)
        job = (await store.create_job(_new_job(new_user_id))).job
        await _submitted(pool, job.id)
        await store.refund(job.id, FailureReason.TIMEOUT, state=JobState.EXPIRED)
        late = await store.capture(job.id)
        assert not late.changed and late.job.state is JobState.EXPIRED
        assert await ledger.balance(new_user_id) == 20

    async def test_concurrent_capture_and_refund_settle_once(
        self, pool: AsyncConnectionPool, new_user_id: int
    ) -> None:
        """Racing captures and refunds of many jobs settle each job exactly once."""
        ledger = await _funded(pool, new_user_id, 200)
        store = JobStore(pool)
        jobs = [(await store.create_job(_new_job(new_user_id, price=5))).job for _ in range(20)]
        for job in jobs:
            await _submitted(pool, job.id)
        calls = []
        for job in jobs:
            calls += [
                store.capture(job.id),
                store.refund(job.id, FailureReason.TIMEOUT),
                store.capture(job.id),
            ]
        outcomes = await asyncio.gather(*calls)
        assert sum(o.changed for o in outcomes) == len(jobs)
        captured = 0
        for job in jobs:
            kinds = await _kinds(pool, job.id)
            assert kinds[0] == "hold" and len(kinds) == 2 and kinds[1] in ("capture", "refund")
            captured += kinds[1] == "capture"
        assert await ledger.balance(new_user_id) == 200 - 5 * captured

    async def test_queued_job_cannot_succeed(self, pool: AsyncConnectionPool, new_user_id: int) -> None:
        """A job never submitted cannot be captured."""
        await _funded(pool, new_user_id, 20)
        store = JobStore(pool)
        job = (await store.create_job(_new_job(new_user_id))).job
        with pytest.raises(JobError):
            await store.capture(job.id)


class TestCancel:
    async def test_cancel_refunds_and_counts_as_notified(
        self, pool: AsyncConnectionPool, new_user_id: int
    ) -> None:
        """Cancelling a running job refunds it; the bot tells the user, so it is marked notified."""
        ledger = await _funded(pool, new_user_id, 20)
        store = JobStore(pool)
        job = (await store.create_job(_new_job(new_user_id))).job
        outcome = await store.cancel(job.id, new_user_id)
        assert outcome.changed and outcome.job.state is JobState.CANCELLED
        assert outcome.job.notified_at is not None
        assert await ledger.balance(new_user_id) == 20

    async def test_cancel_after_success_changes_nothing(
        self, pool: AsyncConnectionPool, new_user_id: int
    ) -> None:
        """A succeeded job stays succeeded and charged."""
        ledger = await _funded(pool, new_user_id, 20)
        store = JobStore(pool)
        job = (await store.create_job(_new_job(new_user_id))).job
        await _submitted(pool, job.id)
        await store.capture(job.id)
        outcome = await store.cancel(job.id, new_user_id)
        assert not outcome.changed and outcome.job.state is JobState.SUCCEEDED
        assert await ledger.balance(new_user_id) == 10

    @pytest.mark.parametrize("state", ["submitting", "submitted"])
    async def test_cancel_after_kie_accepted_refunds_nothing(
        self, pool: AsyncConnectionPool, new_user_id: int, state: str
    ) -> None:
        """Once the job left the queue, Cancel only records stop-waiting: no refund, the job runs on."""
        ledger = await _funded(pool, new_user_id, 20)
        store = JobStore(pool)
        job = (await store.create_job(_new_job(new_user_id))).job
        await _submitted(pool, job.id)
        async with pool.connection() as conn:
            await conn.execute("UPDATE jobs SET state = %s WHERE id = %s", (state, job.id))
        outcome = await store.cancel(job.id, new_user_id)
        assert outcome.changed and outcome.job.state.value == state
        assert outcome.job.stop_waiting_at is not None
        assert await ledger.balance(new_user_id) == 10
        assert await _kinds(pool, job.id) == ["hold"]

    async def test_result_after_stop_waiting_is_captured(
        self, pool: AsyncConnectionPool, new_user_id: int
    ) -> None:
        """A second press changes nothing; the late result still succeeds and stays charged."""
        ledger = await _funded(pool, new_user_id, 20)
        store = JobStore(pool)
        job = (await store.create_job(_new_job(new_user_id))).job
        await _submitted(pool, job.id)
        await store.cancel(job.id, new_user_id)
        again = await store.cancel(job.id, new_user_id)
        assert not again.changed and again.job.state is JobState.SUBMITTED
        captured = await store.capture(job.id, ["https://files.example/r.png"])
        assert captured.changed and captured.job.state is JobState.SUCCEEDED
        assert await ledger.balance(new_user_id) == 10
        assert await _kinds(pool, job.id) == ["hold", "capture"]

    async def test_kie_failure_after_stop_waiting_refunds(
        self, pool: AsyncConnectionPool, new_user_id: int
    ) -> None:
        """KIE failing a task the user stopped waiting for still gives the credits back."""
        ledger = await _funded(pool, new_user_id, 20)
        store = JobStore(pool)
        job = (await store.create_job(_new_job(new_user_id))).job
        await _submitted(pool, job.id)
        await store.cancel(job.id, new_user_id)
        await store.refund(job.id, FailureReason.GENERATION_FAILED)
        assert await ledger.balance(new_user_id) == 20

    async def test_cancel_of_someone_elses_job_is_not_found(
        self, pool: AsyncConnectionPool, new_user_id: int
    ) -> None:
        """Another user's job id is answered as not found."""
        await _funded(pool, new_user_id, 20)
        store = JobStore(pool)
        job = (await store.create_job(_new_job(new_user_id))).job
        with pytest.raises(JobNotFound):
            await store.cancel(job.id, new_user_id + 1)

    async def test_recent_jobs_newest_first(self, pool: AsyncConnectionPool, new_user_id: int) -> None:
        """History lists the user's jobs newest first."""
        await _funded(pool, new_user_id, 50)
        store = JobStore(pool)
        ids = [(await store.create_job(_new_job(new_user_id))).job.id for _ in range(3)]
        assert [job.id for job in await store.recent_jobs(new_user_id, 2)] == ids[::-1][:2]
