"""What admins do to accounts and read about them: ban, unban, a user's card, the dashboard numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

__all__ = ["Accounts", "Dashboard", "UserCard"]

_USER = """
SELECT u.id, u.username, u.language, u.banned, u.balance, u.created_at, u.referrer_id,
       (SELECT count(*) FROM payments p WHERE p.user_id = u.id) AS payments,
       (SELECT coalesce(sum(p.stars), 0) FROM payments p WHERE p.user_id = u.id AND p.refunded_at IS NULL)
           AS stars,
       (SELECT count(*) FROM jobs j WHERE j.user_id = u.id) AS jobs
FROM users u WHERE u.id = %s
"""
_USERS = """
SELECT count(*) AS total,
       count(*) FILTER (WHERE created_at >= date_trunc('day', now())) AS new_today,
       (SELECT count(DISTINCT user_id) FROM payments) AS paying,
       count(*) FILTER (WHERE banned) AS banned
FROM users
"""
_JOBS = "SELECT state, count(*) FROM jobs GROUP BY state ORDER BY state"
_SPEND = """
SELECT model_id, count(*) AS runs, sum(price_credits) AS credits FROM jobs
WHERE settlement = 'captured' GROUP BY model_id ORDER BY sum(price_credits) DESC LIMIT %s
"""


@dataclass(frozen=True, slots=True)
class UserCard:
    """One user as an admin sees them."""

    id: int
    username: str | None
    language: str
    banned: bool
    balance: int
    created_at: datetime
    referrer_id: int | None
    payments: int
    stars: int
    jobs: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    """The /admin numbers: users, jobs by state, revenue (not refunded) and captured spend per model."""

    users_total: int
    users_new_today: int
    users_paying: int
    users_banned: int
    jobs_by_state: dict[str, int]
    revenue_stars: int
    revenue_credits: int
    spend_by_model: list[tuple[str, int, int]]  # model, runs, credits


class Accounts:
    """Bans and lookups over ``users``, ``payments`` and ``jobs``."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._pool = pool

    async def set_banned(self, user_id: int, banned: bool) -> bool:
        """Ban or unban a known user; False when the user is unknown."""
        async with self._pool.connection() as conn:
            cur = await conn.execute("UPDATE users SET banned = %s WHERE id = %s", (banned, user_id))
        return bool(cur.rowcount == 1)

    async def is_banned(self, user_id: int) -> bool:
        """Whether the user is banned (unknown users are not)."""
        async with self._pool.connection() as conn:
            row = await (await conn.execute("SELECT banned FROM users WHERE id = %s", (user_id,))).fetchone()
        return bool(row[0]) if row else False

    async def card(self, user_id: int) -> UserCard | None:
        """The user's card, or None when unknown."""
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(_USER, (user_id,))
            row = await cur.fetchone()
        return UserCard(**row) if row else None

    async def dashboard(self, top_models: int = 10) -> Dashboard:
        """The numbers of the /admin screen."""
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(_USERS)
            users = await cur.fetchone()
            await cur.execute(
                "SELECT coalesce(sum(stars), 0) AS stars, coalesce(sum(pack_credits), 0) AS credits "
                "FROM payments WHERE refunded_at IS NULL"
            )
            revenue = await cur.fetchone()
            await cur.execute(_JOBS)
            jobs = {str(row["state"]): int(row["count"]) for row in await cur.fetchall()}
            await cur.execute(_SPEND, (top_models,))
            spend = [(str(r["model_id"]), int(r["runs"]), int(r["credits"])) for r in await cur.fetchall()]
        assert users is not None and revenue is not None
        return Dashboard(
            users_total=int(users["total"]),
            users_new_today=int(users["new_today"]),
            users_paying=int(users["paying"]),
            users_banned=int(users["banned"]),
            jobs_by_state=jobs,
            revenue_stars=int(revenue["stars"]),
            revenue_credits=int(revenue["credits"]),
            spend_by_model=spend,
        )
