"""The job tracker's side of the `jobs` table: the outbox claim, task ids, the poll schedule, deadlines.

Used by the `jobs` program only; the bot uses `JobStore`. The poll schedule follows KIE's guidance
(kie-api.md §2.3) measured from submission, and starts only once the callback is overdue: the first
poll is due `typical_seconds + grace` after submission (`grace` alone for a job no callback will
end, Veo's 1080p upgrade), then every 3 s up to 30 s after submission,
every 10 s up to 2 minutes, every 30 s after that, until the deadline.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from shared.jobs.model import Job
from shared.jobs.store import lock_job

__all__ = ["JobTracking", "Recipient", "poll_interval"]

# A job the user stopped waiting for that came back to the queue (createTask provably created nothing),
# or whose user an admin banned, is not submitted: KIE never sees it, and it expires with a refund.
_CLAIM = """
UPDATE jobs SET state = 'submitting', attempts = attempts + 1, submitting_at = now(), updated_at = now(),
    deadline = now() + make_interval(secs => time_limit_seconds)
WHERE id IN (SELECT id FROM jobs
             WHERE state = 'queued' AND not_before <= now() AND stop_waiting_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = jobs.user_id AND u.banned)
             ORDER BY created_at FOR UPDATE SKIP LOCKED LIMIT %s)
RETURNING *
"""
# A task id is recorded once (the first of createTask's answer or a callback naming the job wins).
_RECORD_TASK = """
UPDATE jobs SET kie_task_id = coalesce(kie_task_id, %(task)s),
    state = CASE WHEN state = 'submitting' THEN 'submitted' ELSE state END,
    submitted_at = coalesce(submitted_at, now()), updated_at = now(),
    next_poll_at = coalesce(
        next_poll_at, now() + make_interval(secs => typical_seconds * %(wait)s + %(grace)s))
WHERE id = %(id)s
RETURNING *
"""
_REQUEUE = """
UPDATE jobs SET state = 'queued', not_before = now() + make_interval(secs => %s), updated_at = now()
WHERE id = %s AND state = 'submitting' AND kie_task_id IS NULL
"""
_DUE_POLLS = """
SELECT * FROM jobs WHERE state = 'submitted' AND next_poll_at <= now() AND deadline > now()
ORDER BY next_poll_at LIMIT %s
"""
_SCHEDULE = """
UPDATE jobs SET next_poll_at = now() + make_interval(secs => %s), polls = polls + 1 WHERE id = %s
"""
_PAST_DEADLINE = """
SELECT * FROM jobs WHERE state IN ('queued', 'submitting', 'submitted') AND deadline <= now()
ORDER BY deadline LIMIT %s
"""
_UNNOTIFIED = """
SELECT id FROM jobs WHERE settlement IS NOT NULL AND notified_at IS NULL
    AND finished_at <= now() - make_interval(secs => %s)
ORDER BY finished_at LIMIT %s
"""
_RECIPIENT = "SELECT language FROM users WHERE id = %s"
_NOTIFIED = """
UPDATE jobs SET notified_at = now(), delivered_at = CASE WHEN %s THEN now() ELSE delivered_at END,
    result_message_id = %s
WHERE id = %s
"""


def poll_interval(elapsed_seconds: float) -> float:
    """Seconds until the next recordInfo poll of a task submitted `elapsed_seconds` ago (§2.3)."""
    if elapsed_seconds < 30:
        return 3.0
    if elapsed_seconds < 120:
        return 10.0
    return 30.0


@dataclass(frozen=True, slots=True)
class Recipient:
    """A settled job awaiting its message, locked until the notifying transaction ends."""

    job: Job
    language: str
    conn: psycopg.AsyncConnection[Any]


class JobTracking:
    """The queries behind submitting, matching callbacks, polling, expiring and notifying."""

    def __init__(self, pool: AsyncConnectionPool[Any], *, callback_grace_seconds: float = 10.0) -> None:
        self._pool = pool
        self._grace = callback_grace_seconds

    async def claim_for_submit(self, limit: int) -> list[Job]:
        """Move up to `limit` queued jobs to `submitting` (skipping rows others hold) and return them."""
        return await self._rows(_CLAIM, (limit,))

    async def record_task(self, job_id: UUID, task_id: str, *, polled: bool = False) -> Job | None:
        """Record KIE's task id for the job (first writer wins) and start its poll schedule.

        `polled`: no callback will come (Veo's 1080p upgrade is only asked for), so the first poll is
        due after the grace alone instead of the model's typical time.
        """
        params = {"task": task_id, "id": job_id, "grace": self._grace, "wait": 0 if polled else 1}
        rows = await self._rows(_RECORD_TASK, params)
        return rows[0] if rows else None

    async def requeue(self, job_id: UUID, delay_seconds: float) -> None:
        """Put a job whose createTask provably created nothing back in the queue after a delay."""
        async with self._pool.connection() as conn:
            await conn.execute(_REQUEUE, (delay_seconds, job_id))

    async def due_polls(self, limit: int) -> list[Job]:
        """Submitted jobs whose callback is overdue and whose next poll is due."""
        return await self._rows(_DUE_POLLS, (limit,))

    async def schedule_poll(self, job: Job, elapsed_seconds: float) -> None:
        """Set the job's next poll per the schedule."""
        async with self._pool.connection() as conn:
            await conn.execute(_SCHEDULE, (poll_interval(elapsed_seconds), job.id))

    async def past_deadline(self, limit: int) -> list[Job]:
        """Running jobs (queued, submitting or submitted) whose time limit has passed."""
        return await self._rows(_PAST_DEADLINE, (limit,))

    async def unnotified(self, min_age_seconds: float, limit: int) -> list[UUID]:
        """Settled jobs whose user has not been told, settled at least `min_age_seconds` ago."""
        async with self._pool.connection() as conn:
            rows = await (await conn.execute(_UNNOTIFIED, (min_age_seconds, limit))).fetchall()
        return [row[0] for row in rows]

    @asynccontextmanager
    async def recipient(self, job_id: UUID) -> AsyncIterator[Recipient | None]:
        """Lock a settled, unnotified job for the duration of the block; None if there is nothing to do.

        The row lock makes notifiers of one job take turns, and dies with a crashed holder's
        connection, so a job is told about once unless the holder dies mid-send.
        """
        async with self._pool.connection() as conn, conn.transaction():
            job = await lock_job(conn, job_id)
            if job is None or job.settlement is None or job.notified_at is not None:
                yield None
                return
            row = await (await conn.execute(_RECIPIENT, (job.user_id,))).fetchone()
            yield Recipient(job, str(row[0]) if row else "ru", conn)

    async def mark_notified(self, recipient: Recipient, *, delivered: bool, message_id: int | None) -> None:
        """Inside `recipient()`: record that the user was told (and whether the result was delivered)."""
        await recipient.conn.execute(_NOTIFIED, (delivered, message_id, recipient.job.id))

    async def _rows(self, sql: str, params: Any) -> list[Job]:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(sql, params)
            return [Job.from_row(row) for row in await cur.fetchall()]
