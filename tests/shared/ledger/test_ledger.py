"""The ledger: idempotent movements, balances in step with the rows, never negative."""

from __future__ import annotations

import asyncio
import contextlib

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from shared.ledger import (
    IdempotencyConflict,
    InsufficientCredits,
    Ledger,
    LedgerError,
    MovementKind,
    UnknownUser,
)


async def _ledger_sum(pool: AsyncConnectionPool, user_id: int) -> int:
    async with pool.connection() as conn:
        row = await (
            await conn.execute("SELECT coalesce(sum(amount), 0) FROM ledger WHERE user_id = %s", (user_id,))
        ).fetchone()
    assert row is not None
    return int(row[0])


class TestLedger:
    async def test_grant_adds_credits_and_a_row(self, pool: AsyncConnectionPool, new_user_id: int) -> None:
        """A grant raises the balance and is listed as the newest movement."""
        ledger = Ledger(pool)
        await ledger.ensure_user(new_user_id, language="en")
        recorded = await ledger.grant(
            new_user_id, 50, MovementKind.GRANT, "welcome", f"welcome:{new_user_id}"
        )
        assert recorded.created and recorded.movement.balance_after == 50
        assert await ledger.balance(new_user_id) == 50
        [movement] = await ledger.movements(new_user_id)
        assert (movement.amount, movement.kind, movement.reason) == (50, MovementKind.GRANT, "welcome")

    async def test_same_key_applies_once(self, pool: AsyncConnectionPool, new_user_id: int) -> None:
        """Repeating a key returns the first movement and changes nothing."""
        ledger = Ledger(pool)
        await ledger.ensure_user(new_user_id)
        key = f"pay:{new_user_id}"
        first = await ledger.grant(new_user_id, 30, MovementKind.PURCHASE, "stars", key)
        again = await ledger.grant(new_user_id, 30, MovementKind.PURCHASE, "stars", key)
        assert not again.created and again.movement.id == first.movement.id
        assert await ledger.balance(new_user_id) == 30

    async def test_concurrent_same_key_applies_once(
        self, pool: AsyncConnectionPool, new_user_id: int
    ) -> None:
        """Ten concurrent grants with one key credit once."""
        ledger = Ledger(pool)
        await ledger.ensure_user(new_user_id)
        key = f"charge:{new_user_id}"
        results = await asyncio.gather(
            *(ledger.grant(new_user_id, 7, MovementKind.PURCHASE, "stars", key) for _ in range(10))
        )
        assert sum(result.created for result in results) == 1
        assert await ledger.balance(new_user_id) == 7

    async def test_reused_key_for_other_movement_conflicts(
        self, pool: AsyncConnectionPool, new_user_id: int
    ) -> None:
        """A key reused with another amount is refused, not silently ignored."""
        ledger = Ledger(pool)
        await ledger.ensure_user(new_user_id)
        await ledger.grant(new_user_id, 5, MovementKind.GRANT, "a", f"k:{new_user_id}")
        with pytest.raises(IdempotencyConflict):
            await ledger.grant(new_user_id, 6, MovementKind.GRANT, "a", f"k:{new_user_id}")

    async def test_take_below_zero_is_refused(self, pool: AsyncConnectionPool, new_user_id: int) -> None:
        """An admin take larger than the balance raises InsufficientCredits and writes nothing."""
        ledger = Ledger(pool)
        await ledger.ensure_user(new_user_id)
        await ledger.grant(new_user_id, 10, MovementKind.GRANT, "gift", f"g:{new_user_id}")
        with pytest.raises(InsufficientCredits) as caught:
            await ledger.grant(new_user_id, -11, MovementKind.ADMIN, "take", f"t:{new_user_id}")
        assert (caught.value.balance, caught.value.needed, caught.value.missing) == (10, 11, 1)
        assert await ledger.balance(new_user_id) == 10
        assert len(await ledger.movements(new_user_id)) == 1

    async def test_database_refuses_negative_balance(
        self, pool: AsyncConnectionPool, new_user_id: int
    ) -> None:
        """The CHECK constraint stops a negative balance even when code bypasses the ledger."""
        await Ledger(pool).ensure_user(new_user_id)
        async with pool.connection() as conn:
            with pytest.raises(psycopg.errors.CheckViolation):
                await conn.execute("UPDATE users SET balance = -1 WHERE id = %s", (new_user_id,))

    async def test_unknown_user_is_refused(self, pool: AsyncConnectionPool, new_user_id: int) -> None:
        """A grant to a user without a row raises UnknownUser."""
        with pytest.raises(UnknownUser):
            await Ledger(pool).grant(new_user_id, 1, MovementKind.GRANT, "x", f"u:{new_user_id}")

    async def test_job_kinds_and_bad_amounts_are_refused(
        self, pool: AsyncConnectionPool, new_user_id: int
    ) -> None:
        """Holds/captures/refunds belong to jobs, and grants must be positive."""
        ledger = Ledger(pool)
        await ledger.ensure_user(new_user_id)
        with pytest.raises(LedgerError):
            await ledger.grant(new_user_id, 5, MovementKind.REFUND, "x", f"r:{new_user_id}")
        with pytest.raises(LedgerError):
            await ledger.grant(new_user_id, -5, MovementKind.GRANT, "x", f"n:{new_user_id}")

    async def test_balance_equals_sum_of_rows(self, pool: AsyncConnectionPool, new_user_id: int) -> None:
        """After mixed concurrent movements the balance is the sum of the user's ledger."""
        ledger = Ledger(pool)
        await ledger.ensure_user(new_user_id)
        await ledger.grant(new_user_id, 100, MovementKind.GRANT, "start", f"s:{new_user_id}")

        async def take(n: int) -> None:
            with contextlib.suppress(InsufficientCredits):
                await ledger.grant(new_user_id, -15, MovementKind.ADMIN, "take", f"take:{new_user_id}:{n}")

        await asyncio.gather(*(take(n) for n in range(10)))
        balance = await ledger.balance(new_user_id)
        assert balance == 100 - 15 * 6
        assert balance == await _ledger_sum(pool, new_user_id)
