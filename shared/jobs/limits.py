"""Per-user limits checked when a job is created, inside the transaction that holds its credits.

The hold locks the user's row first, so two Generate presses of one user are checked one after the
other and cannot both slip under a limit. Two limits:

- ``max_active``: at most this many of the user's jobs queued or running;
- ``daily_spend_cap``: credits of the user's jobs since midnight UTC that KIE accepted or may still
  accept (queued or running, succeeded, or given a KIE task id), this job included, at most this
  much (None: no cap). A job refunded because KIE failed it still counts: KIE's work was done
  either way, so repeating failures or cancels cannot buy unlimited KIE tasks. Only jobs that never
  reached KIE (cancelled while queued, expired unsubmitted) drop out.

    TrtError
    └── JobError
        └── JobLimitReached
            ├── TooManyActiveJobs   ``active`` jobs are running, ``limit`` allowed
            └── DailyCapReached     ``spent`` today, ``cap`` allowed, ``price`` asked
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from shared.jobs.errors import JobError

__all__ = ["DailyCapReached", "JobLimitReached", "JobLimits", "TooManyActiveJobs", "check_limits"]

_ACTIVE = "SELECT count(*) FROM jobs WHERE user_id = %s AND state IN ('queued', 'submitting', 'submitted')"
_SPENT_TODAY = """
SELECT coalesce(sum(price_credits), 0) FROM jobs
WHERE user_id = %s AND created_at >= date_trunc('day', now(), 'UTC')
  AND (state IN ('queued', 'submitting', 'submitted', 'succeeded') OR kie_task_id IS NOT NULL)
"""


class JobLimitReached(JobError):
    """A per-user limit refused the job; nothing was written."""


class TooManyActiveJobs(JobLimitReached):
    """The user already has ``limit`` jobs queued or running."""

    def __init__(self, user_id: int, active: int, limit: int) -> None:
        super().__init__(f"user {user_id} has {active} active jobs, {limit} allowed")
        self.active = active
        self.limit = limit


class DailyCapReached(JobLimitReached):
    """The job would take the user's spending today past ``cap``."""

    def __init__(self, user_id: int, spent: int, cap: int, price: int) -> None:
        super().__init__(f"user {user_id} spent {spent} today, cap {cap}, job costs {price}")
        self.spent = spent
        self.cap = cap
        self.price = price

    @property
    def left(self) -> int:
        """Credits the user may still spend today."""
        return max(0, self.cap - self.spent)


@dataclass(frozen=True, slots=True)
class JobLimits:
    """The limits in force (None: no limit); the bot sets them from MAX_ACTIVE_JOBS_PER_USER and
    DAILY_SPEND_CAP_CREDITS."""

    max_active: int | None = None
    daily_spend_cap: int | None = None


async def check_limits(
    conn: psycopg.AsyncConnection[Any], limits: JobLimits, user_id: int, price: int
) -> None:
    """Inside the transaction that holds the job's credits (the user's row locked), before the job row.

    The job row is not written yet, so its price is added to what today's jobs spent.
    """
    row = await (await conn.execute(_ACTIVE, (user_id,))).fetchone()
    active = int(row[0]) if row else 0
    if limits.max_active is not None and active >= limits.max_active:
        raise TooManyActiveJobs(user_id, active, limits.max_active)
    if limits.daily_spend_cap is None:
        return
    row = await (await conn.execute(_SPENT_TODAY, (user_id,))).fetchone()
    spent = int(row[0]) if row else 0
    if spent + price > limits.daily_spend_cap:
        raise DailyCapReached(user_id, spent, limits.daily_spend_cap, price)
