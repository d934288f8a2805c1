"""Support tickets in PostgreSQL: one open ticket per user, its messages, and where they were relayed.

Messages are keyed by the update that carried them, so a re-handled update records nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

__all__ = ["SupportStore", "Ticket", "Topic"]


class Topic(StrEnum):
    """What a ticket is about: /support opens a general one, /paysupport a payment one."""

    GENERAL = "general"
    PAYMENT = "payment"


@dataclass(frozen=True, slots=True)
class Ticket:
    """One support conversation with a user."""

    id: int
    user_id: int
    topic: Topic
    opened_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Ticket:
        """A ticket from a `support_tickets` row read with dict_row."""
        return cls(int(row["id"]), int(row["user_id"]), Topic(row["topic"]), row["opened_at"])


_OPEN = """
INSERT INTO support_tickets (user_id, topic) VALUES (%s, %s)
ON CONFLICT (user_id) WHERE closed_at IS NULL DO UPDATE SET topic = support_tickets.topic
RETURNING id, user_id, topic, opened_at
"""
_ADD = """
INSERT INTO support_messages (update_id, ticket_id, from_admin, author_id, text)
VALUES (%s, %s, %s, %s, %s) ON CONFLICT (update_id) DO NOTHING
"""
_RELAYED = """
INSERT INTO support_relays (admin_id, message_id, ticket_id) VALUES (%s, %s, %s)
ON CONFLICT (admin_id, message_id) DO NOTHING
"""
_BY_RELAY = """
SELECT t.id, t.user_id, t.topic, t.opened_at FROM support_relays r
JOIN support_tickets t ON t.id = r.ticket_id WHERE r.admin_id = %s AND r.message_id = %s
"""
_OPEN_LIST = """
SELECT id, user_id, topic, opened_at FROM support_tickets WHERE closed_at IS NULL
ORDER BY opened_at LIMIT %s
"""
_CLOSE = "UPDATE support_tickets SET closed_at = now(), closed_by = %s WHERE id = %s AND closed_at IS NULL"


class SupportStore:
    """Opens, lists and closes tickets; records their messages and relays."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._pool = pool

    async def _one(self, sql: str, values: tuple[Any, ...]) -> dict[str, Any] | None:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(sql, values)
            row = await cur.fetchone()
            return None if row is None else dict(row)

    async def open(self, user_id: int, topic: Topic) -> Ticket:
        """The user's open ticket, opened now when there is none."""
        row = await self._one(_OPEN, (user_id, topic.value))
        assert row is not None
        return Ticket.from_row(row)

    async def add_message(
        self, ticket: Ticket, update_id: int, *, from_admin: bool, author_id: int, text: str
    ) -> None:
        """Record one message of the conversation (once per update)."""
        async with self._pool.connection() as conn:
            await conn.execute(_ADD, (update_id, ticket.id, from_admin, author_id, text))

    async def relayed(self, admin_id: int, message_id: int, ticket: Ticket) -> None:
        """Remember that ``message_id`` in the admin's chat carries this ticket."""
        async with self._pool.connection() as conn:
            await conn.execute(_RELAYED, (admin_id, message_id, ticket.id))

    async def by_relay(self, admin_id: int, message_id: int) -> Ticket | None:
        """The ticket a message in an admin's chat was relayed for, if any."""
        row = await self._one(_BY_RELAY, (admin_id, message_id))
        return None if row is None else Ticket.from_row(row)

    async def open_tickets(self, limit: int = 20) -> list[Ticket]:
        """Open tickets, oldest first."""
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(_OPEN_LIST, (limit,))
            return [Ticket.from_row(row) for row in await cur.fetchall()]

    async def close(self, ticket_id: int, admin_id: int) -> bool:
        """Close an open ticket; False when it was not open."""
        async with self._pool.connection() as conn:
            result = await conn.execute(_CLOSE, (admin_id, ticket_id))
            return bool(result.rowcount == 1)
