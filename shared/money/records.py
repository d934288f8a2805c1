"""Rows of ``payments`` and the locks that payments and refunds take, in that order: payment, then user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from shared.money.errors import PaymentNotFound

__all__ = ["Payment", "balance_of", "lock_balance", "lock_payment"]


@dataclass(frozen=True, slots=True)
class Payment:
    """One row of ``payments``."""

    charge_id: str
    user_id: int
    pack_credits: int
    stars: int
    created_at: datetime
    refunded_at: datetime | None
    refund_requested_at: datetime | None = None  # a refund's intent, recorded before asking Telegram
    refund_attempt: int = 0
    referrer_id: int | None = None  # whose referral bonus this purchase paid (with referral_bonus)
    referral_bonus: int = 0

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Payment:
        """Build a payment from a ``payments`` row read with dict_row."""
        return cls(
            charge_id=str(row["charge_id"]),
            user_id=int(row["user_id"]),
            pack_credits=int(row["pack_credits"]),
            stars=int(row["stars"]),
            created_at=row["created_at"],
            refunded_at=row["refunded_at"],
            refund_requested_at=row.get("refund_requested_at"),
            refund_attempt=int(row.get("refund_attempt") or 0),
            referrer_id=row.get("referrer_id"),
            referral_bonus=int(row.get("referral_bonus") or 0),
        )


async def lock_payment(conn: psycopg.AsyncConnection[Any], charge_id: str) -> Payment:
    """Inside a transaction: the payment, locked until it ends; PaymentNotFound when there is none."""
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute("SELECT * FROM payments WHERE charge_id = %s FOR UPDATE", (charge_id,))
        row = await cur.fetchone()
    if row is None:
        raise PaymentNotFound(charge_id)
    return Payment.from_row(row)


async def lock_balance(conn: psycopg.AsyncConnection[Any], user_id: int) -> int:
    """Inside a transaction: the user's balance, their row locked until it ends (0: no such user)."""
    cur = await conn.execute("SELECT balance FROM users WHERE id = %s FOR UPDATE", (user_id,))
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def balance_of(conn: psycopg.AsyncConnection[Any], user_id: int) -> int:
    """The user's balance (0: no such user)."""
    row = await (await conn.execute("SELECT balance FROM users WHERE id = %s", (user_id,))).fetchone()
    return int(row[0]) if row else 0
