"""The credits ledger: every movement is a row, and the user's balance moves in the same transaction.

`record_movement` is the one place a balance changes. It runs inside the caller's transaction (the job
store uses it so a job change and its hold, capture or refund commit together) and:

1. locks the user's row, so movements of one user serialise;
2. returns the existing row if the idempotency key was already applied (no second effect), or raises
   `IdempotencyConflict` if the key was used for a different movement;
3. refuses a movement that would take the balance below zero (`InsufficientCredits`); the CHECK on
   `users.balance` is the database's own guarantee behind this;
4. inserts the row with the balance after it and updates `users.balance`.

So `users.balance` always equals the sum of the user's ledger amounts.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from shared.ledger.errors import IdempotencyConflict, InsufficientCredits, LedgerError, UnknownUser
from shared.ledger.model import JOB_KINDS, Movement, MovementKind, Recorded

__all__ = ["Ledger", "record_movement"]

_LOCK_USER = "SELECT balance FROM users WHERE id = %s FOR UPDATE"
_FIND_KEY = "SELECT * FROM ledger WHERE idempotency_key = %s"
_INSERT = """
INSERT INTO ledger (user_id, amount, kind, reason, idempotency_key, job_id, balance_after)
VALUES (%(user_id)s, %(amount)s, %(kind)s, %(reason)s, %(key)s, %(job_id)s, %(balance_after)s)
RETURNING *
"""
_SET_BALANCE = "UPDATE users SET balance = %s WHERE id = %s"
_ENSURE_USER = """
INSERT INTO users (id, language, username) VALUES (%s, %s, %s)
ON CONFLICT (id) DO UPDATE SET username = coalesce(EXCLUDED.username, users.username)
"""


async def record_movement(
    conn: psycopg.AsyncConnection[Any],
    *,
    user_id: int,
    amount: int,
    kind: MovementKind,
    reason: str,
    key: str,
    job_id: UUID | None = None,
) -> Recorded:
    """Apply one movement inside the caller's open transaction, at most once per `key`.

    Raises UnknownUser, InsufficientCredits or IdempotencyConflict; the caller's transaction must
    then be rolled back (leaving the `async with conn.transaction()` block by the exception does it).
    """
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(_LOCK_USER, (user_id,))
        user = await cur.fetchone()
        if user is None:
            raise UnknownUser(user_id)
        await cur.execute(_FIND_KEY, (key,))
        existing = await cur.fetchone()
        if existing is not None:
            return Recorded(_same_movement(existing, user_id, amount, kind, key), created=False)
        balance = int(user["balance"])
        if balance + amount < 0:
            raise InsufficientCredits(user_id, balance, -amount)
        params = {
            "user_id": user_id,
            "amount": amount,
            "kind": kind.value,
            "reason": reason,
            "key": key,
            "job_id": job_id,
            "balance_after": balance + amount,
        }
        await cur.execute(_INSERT, params)
        row = await cur.fetchone()
        await cur.execute(_SET_BALANCE, (balance + amount, user_id))
    assert row is not None
    return Recorded(Movement.from_row(row), created=True)


def _same_movement(row: dict[str, Any], user_id: int, amount: int, kind: MovementKind, key: str) -> Movement:
    movement = Movement.from_row(row)
    if (movement.user_id, movement.amount, movement.kind) != (user_id, amount, kind):
        raise IdempotencyConflict(key)
    return movement


class Ledger:
    """Balances and non-job movements (grants, purchases, admin changes, referral bonuses).

    Job holds, captures and refunds go through `shared.jobs.JobStore`, which records them in the
    same transaction as the job change they belong to.
    """

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._pool = pool

    async def ensure_user(self, user_id: int, *, language: str = "ru", username: str | None = None) -> None:
        """Create the user's row (balance 0) unless it exists; refresh a known username."""
        async with self._pool.connection() as conn:
            await conn.execute(_ENSURE_USER, (user_id, language, username))

    async def balance(self, user_id: int) -> int:
        """The credits the user can spend now (held credits are already deducted); 0 if unknown."""
        async with self._pool.connection() as conn:
            row = await (await conn.execute("SELECT balance FROM users WHERE id = %s", (user_id,))).fetchone()
        return int(row[0]) if row else 0

    async def movements(self, user_id: int, limit: int = 10) -> list[Movement]:
        """The user's latest movements, newest first."""
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                "SELECT * FROM ledger WHERE user_id = %s ORDER BY id DESC LIMIT %s", (user_id, limit)
            )
            return [Movement.from_row(row) for row in await cur.fetchall()]

    async def grant(self, user_id: int, amount: int, kind: MovementKind, reason: str, key: str) -> Recorded:
        """Add (or, for `admin`, take with a negative amount) credits once per `key`.

        `kind` is grant, purchase, admin or referral. A repeated key returns the first movement with
        `created=False` and changes nothing. Raises UnknownUser, InsufficientCredits (a take below
        zero), IdempotencyConflict, or LedgerError for a job kind or a zero amount.
        """
        if kind in JOB_KINDS:
            raise LedgerError(f"{kind.value} movements belong to jobs; use shared.jobs.JobStore")
        if amount == 0 or (amount < 0 and kind is not MovementKind.ADMIN):
            raise LedgerError(f"a {kind.value} movement needs a positive amount, got {amount}")
        async with self._pool.connection() as conn, conn.transaction():
            return await record_movement(
                conn, user_id=user_id, amount=amount, kind=kind, reason=reason, key=key
            )
