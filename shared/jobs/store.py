"""`JobStore`: jobs and their credits, changed together in one transaction each.

Every operation locks the job row (`FOR UPDATE`) before it looks at its state, so concurrent
settlements of one job serialise: the first decides, later ones see a terminal job and change nothing.
Idempotency keys `job:{id}:hold`, `job:{id}:capture`, `job:{id}:refund` and the partial unique indexes
of migration 0003 make a second hold or a second settlement impossible even for code that bypasses
this module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from shared.jobs.errors import JobError, JobNotFound
from shared.jobs.limits import JobLimits, check_limits
from shared.jobs.model import FailureReason, Job, JobState, NewJob, Outcome
from shared.ledger import MovementKind, record_movement

__all__ = ["JobStore", "Settling", "lock_job"]

_INSERT = """
INSERT INTO jobs (id, user_id, chat_id, model_id, params, price_credits, typical_seconds,
                  time_limit_seconds, deadline, progress_message_id, inline_message_id,
                  inline_own_chat)
VALUES (%(id)s, %(user_id)s, %(chat_id)s, %(model_id)s, %(params)s, %(price)s, %(typical)s,
        %(limit)s, now() + make_interval(secs => %(limit)s), %(progress)s, %(inline)s,
        %(own_chat)s)
RETURNING *
"""
_SETTLE = """
UPDATE jobs SET state = %(state)s, settlement = %(settlement)s, error_code = %(code)s,
    error_text = %(text)s, result_urls = %(urls)s, finished_at = now(), updated_at = now(),
    notified_at = CASE WHEN %(notified)s THEN now() ELSE notified_at END
WHERE id = %(id)s
RETURNING *
"""
_STOP_WAITING = "UPDATE jobs SET stop_waiting_at = now(), updated_at = now() WHERE id = %s RETURNING *"
_DELIVERED = """
UPDATE jobs SET notified_at = now(), delivered_at = now(), result_message_id = %s WHERE id = %s RETURNING *
"""
_RECIPIENT = "SELECT language, banned FROM users WHERE id = %s"
_KIE_COST = "UPDATE jobs SET kie_credits_consumed = %s WHERE id = %s"
_RUNNING_FOR_CAPTURE = (JobState.SUBMITTING, JobState.SUBMITTED)


async def lock_job(conn: psycopg.AsyncConnection[Any], job_id: UUID) -> Job | None:
    """Inside an open transaction: lock the job's row until it ends and return the job (None: none)."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute("SELECT * FROM jobs WHERE id = %s FOR UPDATE", (job_id,))
        row = await cur.fetchone()
    return Job.from_row(row) if row else None


@dataclass(frozen=True, slots=True)
class Settling:
    """A job KIE finished, locked while its result is sent; then captured or refunded in that lock.

    Capture happens only here, after the result reached the chat, so no credit is taken for a result
    the user cannot get; a second deliverer waits on the lock and then finds the job settled.
    """

    job: Job
    language: str
    conn: psycopg.AsyncConnection[Any]
    store: JobStore
    banned: bool = False  # an admin banned the user: nothing more is delivered to them

    async def captured(self, result_urls: Sequence[str], message_id: int | None) -> Job:
        """The result is in the chat as `message_id` (None: only in an inline message): capture, succeed,
        and record it delivered."""
        await self.store._move(self.conn, self.job, MovementKind.CAPTURE, 0, "generation delivered")
        await _settle(self.conn, self.job, JobState.SUCCEEDED, "captured", urls=result_urls)
        async with self.conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(_DELIVERED, (message_id, self.job.id))
            row = await cur.fetchone()
        assert row is not None
        return Job.from_row(row)

    async def refunded(self, reason: FailureReason, detail: str, *, notified: bool) -> Job:
        """The result could not be delivered: refund and fail (`notified`: nobody can be told)."""
        job, amount = self.job, self.job.price_credits
        await self.store._move(self.conn, job, MovementKind.REFUND, amount, f"refund: {reason.value}")
        return await _settle(
            self.conn, job, JobState.FAILED, "refunded", reason=reason, text=detail, notified=notified
        )


class JobStore:
    """Create, settle, cancel and list generation jobs; the credit movement rides in each transaction."""

    def __init__(self, pool: AsyncConnectionPool[Any], limits: JobLimits | None = None) -> None:
        self._pool = pool
        self._limits = limits or JobLimits()

    async def create_job(self, new: NewJob) -> Outcome:
        """Write the job (state queued) and its hold of `price_credits`, together or not at all.

        Raises `shared.ledger.InsufficientCredits` (with the balance and the price), `UnknownUser`, or
        a `shared.jobs.limits.JobLimitReached` (too many active jobs, daily cap), writing nothing.
        Creating a job whose `job_id` exists returns it with `changed=False`.
        """
        async with self._pool.connection() as conn, conn.transaction():
            existing = await lock_job(conn, new.job_id)
            if existing is not None:
                return Outcome(_owned(existing, new.user_id), changed=False)
            hold = await record_movement(
                conn,
                user_id=new.user_id,
                amount=-new.price_credits,
                kind=MovementKind.HOLD,
                reason=f"generation {new.model_id}",
                key=f"job:{new.job_id}:hold",
                job_id=new.job_id,
            )
            if not hold.created:  # a concurrent call with this job_id committed first
                raced = await lock_job(conn, new.job_id)
                if raced is None:
                    raise JobError(f"job {new.job_id}: hold exists without its job")
                return Outcome(_owned(raced, new.user_id), changed=False)
            await check_limits(conn, self._limits, new.user_id, new.price_credits)
            async with conn.cursor(row_factory=dict_row) as cur:
                await cur.execute(_INSERT, _insert_params(new))
                row = await cur.fetchone()
        assert row is not None
        return Outcome(Job.from_row(row), changed=True)

    async def get(self, job_id: UUID) -> Job | None:
        """The job with this id, or None."""
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute("SELECT * FROM jobs WHERE id = %s", (job_id,))
            row = await cur.fetchone()
        return Job.from_row(row) if row else None

    async def recent_jobs(self, user_id: int, limit: int = 20) -> list[Job]:
        """The user's latest jobs, newest first (for /history)."""
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                "SELECT * FROM jobs WHERE user_id = %s ORDER BY created_at DESC LIMIT %s", (user_id, limit)
            )
            return [Job.from_row(row) for row in await cur.fetchall()]

    async def capture(self, job_id: UUID, result_urls: Sequence[str] = ()) -> Outcome:
        """Mark a running job succeeded and capture its hold, once. A settled job is returned as is.

        Raises JobNotFound, or JobError for a job that was never submitted (it cannot have a result).
        """
        async with self._pool.connection() as conn, conn.transaction():
            job = await self._locked(conn, job_id)
            if job.state.is_terminal:
                return Outcome(job, changed=False)
            if job.state not in _RUNNING_FOR_CAPTURE:
                raise JobError(f"job {job_id} is {job.state.value}; only a submitted job can succeed")
            await self._move(conn, job, MovementKind.CAPTURE, 0, "generation delivered")
            settled = await _settle(conn, job, JobState.SUCCEEDED, "captured", urls=result_urls)
        return Outcome(settled, changed=True)

    @asynccontextmanager
    async def settling(self, job_id: UUID) -> AsyncIterator[Settling | None]:
        """Lock a submitted job for delivering its result (see `Settling`); None when already settled.

        The row stays locked until the block ends: send the result inside it, then call `captured` or
        `refunded`. Leaving the block without either changes nothing (the send is retried later).
        """
        async with self._pool.connection() as conn, conn.transaction():
            job = await lock_job(conn, job_id)
            if job is None or job.state not in _RUNNING_FOR_CAPTURE:
                yield None
                return
            row = await (await conn.execute(_RECIPIENT, (job.user_id,))).fetchone()
            yield Settling(job, str(row[0]) if row else "ru", conn, self, banned=bool(row and row[1]))

    async def record_kie_cost(self, job_id: UUID, credits_consumed: float) -> None:
        """Store what KIE charged for the job's task (its record's creditsConsumed), for reconciliation."""
        async with self._pool.connection() as conn:
            await conn.execute(_KIE_COST, (credits_consumed, job_id))

    async def refund(
        self,
        job_id: UUID,
        reason: FailureReason,
        *,
        detail: str | None = None,
        state: JobState = JobState.FAILED,
    ) -> Outcome:
        """End a running job as `state` (failed, expired or cancelled) and refund its hold, once.

        `detail` is a plain-words explanation kept for history and operators (never raw KIE text
        shown to users: the bot words the message from `reason`). A settled job is returned as is.
        """
        if state not in (JobState.FAILED, JobState.EXPIRED, JobState.CANCELLED):
            raise ValueError(f"a refund ends a job as failed, expired or cancelled, not {state.value}")
        async with self._pool.connection() as conn, conn.transaction():
            job = await self._locked(conn, job_id)
            if job.state.is_terminal:
                return Outcome(job, changed=False)
            settled = await self._refund_locked(conn, job, reason, detail, state)
        return Outcome(settled, changed=True)

    async def cancel(self, job_id: UUID, user_id: int) -> Outcome:
        """The user's Cancel: a refund while KIE has not accepted the job, "stop waiting" after.

        A queued job never reached KIE: it is cancelled and refunded, and counts as notified (the bot
        tells the user itself). Once the job left the queue (submitting or submitted) KIE may be
        generating it and will charge for it, so nothing is refunded: `stop_waiting_at` is recorded,
        the job keeps running, and its result is still delivered and captured (a KIE failure still
        refunds). An ended job, or one the user already stopped waiting for, is returned unchanged.
        Raises JobNotFound when the job is not this user's.
        """
        async with self._pool.connection() as conn, conn.transaction():
            job = _owned(await self._locked(conn, job_id), user_id)
            if job.state.is_terminal or job.stop_waiting_at is not None:
                return Outcome(job, changed=False)
            if job.state is not JobState.QUEUED:
                return Outcome(await _stop_waiting(conn, job), changed=True)
            settled = await self._refund_locked(
                conn, job, FailureReason.CANCELLED, "cancelled by the user", JobState.CANCELLED
            )
        return Outcome(settled, changed=True)

    async def _refund_locked(
        self,
        conn: psycopg.AsyncConnection[Any],
        job: Job,
        reason: FailureReason,
        detail: str | None,
        state: JobState,
    ) -> Job:
        await self._move(conn, job, MovementKind.REFUND, job.price_credits, f"refund: {reason.value}")
        notified = state is JobState.CANCELLED
        return await _settle(conn, job, state, "refunded", reason=reason, text=detail, notified=notified)

    async def _locked(self, conn: psycopg.AsyncConnection[Any], job_id: UUID) -> Job:
        job = await lock_job(conn, job_id)
        if job is None:
            raise JobNotFound(job_id)
        return job

    async def _move(
        self, conn: psycopg.AsyncConnection[Any], job: Job, kind: MovementKind, amount: int, reason: str
    ) -> None:
        await record_movement(
            conn,
            user_id=job.user_id,
            amount=amount,
            kind=kind,
            reason=reason,
            key=f"job:{job.id}:{kind.value}",
            job_id=job.id,
        )


async def _settle(
    conn: psycopg.AsyncConnection[Any],
    job: Job,
    state: JobState,
    settlement: str,
    *,
    reason: FailureReason | None = None,
    text: str | None = None,
    urls: Sequence[str] = (),
    notified: bool = False,
) -> Job:
    params = {
        "id": job.id,
        "state": state.value,
        "settlement": settlement,
        "code": reason.value if reason else None,
        "text": text,
        "urls": Jsonb(list(urls)),
        "notified": notified,
    }
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(_SETTLE, params)
        row = await cur.fetchone()
    assert row is not None
    return Job.from_row(row)


async def _stop_waiting(conn: psycopg.AsyncConnection[Any], job: Job) -> Job:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(_STOP_WAITING, (job.id,))
        row = await cur.fetchone()
    assert row is not None
    return Job.from_row(row)


def _owned(job: Job | None, user_id: int) -> Job:
    if job is None:
        raise JobError("job vanished inside its own transaction")
    if job.user_id != user_id:
        raise JobNotFound(job.id)
    return job


def _insert_params(new: NewJob) -> dict[str, Any]:
    return {
        "id": new.job_id,
        "user_id": new.user_id,
        "chat_id": new.chat_id,
        "model_id": new.model_id,
        "params": Jsonb(dict(new.params)),
        "price": new.price_credits,
        "typical": new.typical_seconds,
        "limit": new.time_limit_seconds,
        "progress": new.progress_message_id,
        "inline": new.inline_message_id,
        "own_chat": new.inline_own_chat,
    }
