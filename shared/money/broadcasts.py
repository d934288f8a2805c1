"""Broadcasts kept in PostgreSQL, so any bot worker can send them and a restart resumes them.

Making a broadcast fixes its recipients (every user not banned), once per admin update. Senders claim
one recipient at a time (``FOR UPDATE SKIP LOCKED``, status ``sending``, committed before the message
goes out), then record the outcome. A row left ``sending`` by a killed worker is never sent again: after
``stale_seconds`` it counts as failed (at most once beats twice). The sender that finds a broadcast
with nothing left flips it to ``done`` and is the one that reports the counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

__all__ = ["BroadcastStore", "Claimed", "Delivery", "Finished"]

_CREATE = """
INSERT INTO broadcasts (admin_id, text, update_id) VALUES (%s, %s, %s)
ON CONFLICT (update_id) DO NOTHING RETURNING id
"""
_BY_UPDATE = """
SELECT b.id, (SELECT count(*) FROM broadcast_recipients r WHERE r.broadcast_id = b.id)
FROM broadcasts b WHERE b.update_id = %s
"""
_RECIPIENTS = """
INSERT INTO broadcast_recipients (broadcast_id, user_id)
SELECT %s, id FROM users WHERE NOT banned
"""
_CLAIM = """
UPDATE broadcast_recipients AS r SET status = 'sending', claimed_at = now()
FROM (
    SELECT r2.broadcast_id, r2.user_id FROM broadcast_recipients r2
    JOIN broadcasts b ON b.id = r2.broadcast_id AND b.state = 'running'
    WHERE r2.status = 'pending'
    ORDER BY r2.broadcast_id, r2.user_id
    LIMIT 1 FOR UPDATE OF r2 SKIP LOCKED
) AS picked, broadcasts AS b
WHERE r.broadcast_id = picked.broadcast_id AND r.user_id = picked.user_id AND b.id = r.broadcast_id
RETURNING r.broadcast_id, r.user_id, b.text
"""
_EXPIRE = """
UPDATE broadcast_recipients SET status = 'failed'
WHERE status = 'sending' AND claimed_at < now() - make_interval(secs => %s)
"""
_FINISH = """
UPDATE broadcasts AS b SET state = 'done', finished_at = now()
WHERE b.state = 'running' AND NOT EXISTS (
    SELECT 1 FROM broadcast_recipients r WHERE r.broadcast_id = b.id AND r.status IN ('pending', 'sending'))
RETURNING b.id, b.admin_id
"""
_COUNTS = "SELECT status, count(*) FROM broadcast_recipients WHERE broadcast_id = %s GROUP BY status"


class Delivery(StrEnum):
    """The outcome of one broadcast message."""

    DELIVERED = "delivered"
    BLOCKED = "blocked"  # the user blocked the bot (403)
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Claimed:
    """One recipient claimed for sending."""

    broadcast_id: int
    user_id: int
    text: str


@dataclass(frozen=True, slots=True)
class Finished:
    """A broadcast that just ended, with its counts, for the report to its admin."""

    broadcast_id: int
    admin_id: int
    counts: dict[str, int]

    def count(self, delivery: Delivery) -> int:
        """How many recipients ended as ``delivery``."""
        return self.counts.get(delivery.value, 0)


class BroadcastStore:
    """Create broadcasts, claim recipients, record outcomes, close finished broadcasts."""

    def __init__(self, pool: AsyncConnectionPool[Any], stale_seconds: float = 120.0) -> None:
        self._pool = pool
        self._stale = stale_seconds

    async def create(self, admin_id: int, text: str, update_id: int | None = None) -> tuple[int, int]:
        """Make a broadcast of ``text`` to every user not banned; returns (id, recipients).

        With ``update_id`` (the admin's /broadcast update) it is made once: the same update handled
        again returns the broadcast it made, which goes on where it is (nobody is messaged twice).
        """
        async with self._pool.connection() as conn, conn.transaction():
            row = await (await conn.execute(_CREATE, (admin_id, text, update_id))).fetchone()
            if row is None:  # this update made it already (the insert waited for that one's commit)
                made = await (await conn.execute(_BY_UPDATE, (update_id,))).fetchone()
                assert made is not None
                return int(made[0]), int(made[1])
            cur = await conn.execute(_RECIPIENTS, (row[0],))
        return int(row[0]), cur.rowcount

    async def claim(self) -> Claimed | None:
        """Claim the next recipient of any running broadcast, or None when none waits."""
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(_CLAIM)
            row = await cur.fetchone()
        if row is None:
            return None
        return Claimed(int(row["broadcast_id"]), int(row["user_id"]), str(row["text"]))

    async def record(self, claimed: Claimed, delivery: Delivery) -> None:
        """Record how sending to a claimed recipient went."""
        async with self._pool.connection() as conn:
            await conn.execute(
                "UPDATE broadcast_recipients SET status = %s WHERE broadcast_id = %s AND user_id = %s",
                (delivery.value, claimed.broadcast_id, claimed.user_id),
            )

    async def release(self, claimed: Claimed) -> None:
        """Put a claimed recipient back (nothing was sent), e.g. when the worker is stopping."""
        async with self._pool.connection() as conn:
            await conn.execute(
                "UPDATE broadcast_recipients SET status = 'pending', claimed_at = NULL "
                "WHERE broadcast_id = %s AND user_id = %s AND status = 'sending'",
                (claimed.broadcast_id, claimed.user_id),
            )

    async def finish(self) -> list[Finished]:
        """Close broadcasts with nothing left to send (after expiring stale claims); each is returned once."""
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute(_EXPIRE, (self._stale,))
            done = await (await conn.execute(_FINISH)).fetchall()
            finished = []
            for broadcast_id, admin_id in done:
                rows = await (await conn.execute(_COUNTS, (broadcast_id,))).fetchall()
                counts = {str(status): int(n) for status, n in rows}
                finished.append(Finished(int(broadcast_id), int(admin_id), counts))
        return finished
