"""Property: random interleavings of purchases, holds, captures, refunds and grants keep money exact.

Each example plays a list of rounds; a round is a handful of operations run at once on separate
connections (as concurrent workers would), drawn over a few users, with charge ids, job ids and grant
keys from small pools so that repeats and races on the same key are common. After every round:
no balance is negative, every balance equals the sum of its ledger rows, and every idempotency key,
payment and job settlement was applied at most once.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from dataclasses import dataclass
from typing import Any

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg_pool import AsyncConnectionPool

from shared.jobs import FailureReason, JobError, JobStore, NewJob
from shared.ledger import InsufficientCredits, Ledger, MovementKind
from shared.ledger.errors import IdempotencyConflict
from shared.migrations import apply_migrations
from shared.money import InvoiceSigner, PaymentStore, parse_packs

PACKS = parse_packs("10:5,40:15")
USERS = 3
KEYS = 4  # charge ids, jobs and grant keys per user

OPS = ("purchase", "hold", "submit", "capture", "refund", "grant", "take")


@dataclass(frozen=True)
class Op:
    """One operation of a round: what, for which user, with which key of the small pool."""

    kind: str
    user: int
    key: int
    amount: int


ops = st.builds(
    Op,
    kind=st.sampled_from(OPS),
    user=st.integers(0, USERS - 1),
    key=st.integers(0, KEYS - 1),
    amount=st.integers(1, 30),
)
rounds = st.lists(st.lists(ops, min_size=1, max_size=5), min_size=1, max_size=8)


class _World:
    """The stores under test and the ids of one example."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool
        self.ledger = Ledger(pool)
        self.jobs = JobStore(pool)
        self.payments = PaymentStore(pool, PACKS, signer=InvoiceSigner(b"property test key"))
        self.tag = uuid.uuid4().hex[:8]
        base = random.randrange(5 * 10**9, 6 * 10**9)
        self.users = [base + i for i in range(USERS)]

    def job_id(self, op: Op) -> uuid.UUID:
        return uuid.uuid5(uuid.NAMESPACE_OID, f"{self.tag}:{op.user}:{op.key}")

    async def apply(self, op: Op) -> None:
        user = self.users[op.user]
        # Refusals are allowed; what they must not do is write anything. Two holds of one job id with
        # different prices in one round race: the loser is refused as a conflicting reuse of the key.
        with contextlib.suppress(InsufficientCredits, JobError, IdempotencyConflict):
            await _APPLY[op.kind](self, op, user)


async def _purchase(world: _World, op: Op, user: int) -> None:
    pack = PACKS[op.amount % len(PACKS)] if op.key % 2 else PACKS[0]
    payload = world.payments.invoice_payload(pack, user)
    charge = f"ch-{world.tag}-{op.user}-{op.key}"
    await world.payments.credit(user, charge, None, payload, currency="XTR", total=pack.stars)


async def _hold(world: _World, op: Op, user: int) -> None:
    new = NewJob(
        user_id=user,
        chat_id=user,
        model_id="prop-model",
        params={},
        price_credits=op.amount,
        time_limit_seconds=60,
        typical_seconds=10,
        job_id=world.job_id(op),
    )
    await world.jobs.create_job(new)


async def _submit(world: _World, op: Op, user: int) -> None:
    async with world.pool.connection() as conn:
        await conn.execute(
            "UPDATE jobs SET state = 'submitted' WHERE id = %s AND state = 'queued'", (world.job_id(op),)
        )


async def _capture(world: _World, op: Op, user: int) -> None:
    if await world.jobs.get(world.job_id(op)) is not None:
        await world.jobs.capture(world.job_id(op))


async def _refund(world: _World, op: Op, user: int) -> None:
    if await world.jobs.get(world.job_id(op)) is not None:
        await world.jobs.refund(world.job_id(op), FailureReason.GENERATION_FAILED)


async def _grant(world: _World, op: Op, user: int) -> None:
    key = f"grant:{world.tag}:{op.user}:{op.key}"
    await world.ledger.grant(user, 5 + op.key, MovementKind.GRANT, "property grant", key)


async def _take(world: _World, op: Op, user: int) -> None:
    key = f"take:{world.tag}:{op.user}:{op.key}"
    await world.ledger.grant(user, -(3 + op.key), MovementKind.ADMIN, "property take", key)


_APPLY: dict[str, Any] = {
    "purchase": _purchase,
    "hold": _hold,
    "submit": _submit,
    "capture": _capture,
    "refund": _refund,
    "grant": _grant,
    "take": _take,
}

_BALANCES = """
SELECT u.id, u.balance, coalesce(sum(l.amount), 0) FROM users u LEFT JOIN ledger l ON l.user_id = u.id
WHERE u.id = ANY(%s) GROUP BY u.id, u.balance
"""
_REPEATED_KEYS = """
SELECT idempotency_key FROM ledger WHERE user_id = ANY(%s) GROUP BY idempotency_key HAVING count(*) > 1
"""
_JOB_MOVES = """
SELECT job_id, count(*) FILTER (WHERE kind = 'hold'), count(*) FILTER (WHERE kind IN ('capture', 'refund'))
FROM ledger WHERE user_id = ANY(%s) AND job_id IS NOT NULL GROUP BY job_id
"""
_PURCHASES = """
SELECT (SELECT count(*) FROM payments WHERE user_id = ANY(%(u)s)),
       (SELECT count(*) FROM ledger WHERE user_id = ANY(%(u)s) AND kind = 'purchase'),
       (SELECT coalesce(sum(pack_credits), 0) FROM payments WHERE user_id = ANY(%(u)s)),
       (SELECT coalesce(sum(amount), 0) FROM ledger WHERE user_id = ANY(%(u)s) AND kind = 'purchase')
"""


async def _check(world: _World) -> None:
    async with world.pool.connection() as conn:
        for user, balance, total in await (await conn.execute(_BALANCES, (world.users,))).fetchall():
            assert balance >= 0, f"user {user} balance {balance}"
            assert balance == total, f"user {user}: balance {balance} but ledger sums to {total}"
        repeated = await (await conn.execute(_REPEATED_KEYS, (world.users,))).fetchall()
        assert repeated == []
        for job_id, holds, settlements in await (await conn.execute(_JOB_MOVES, (world.users,))).fetchall():
            assert holds == 1 and settlements <= 1, f"job {job_id}: {holds} holds, {settlements} settlements"
        row = await (await conn.execute(_PURCHASES, {"u": world.users})).fetchone()
        assert row is not None
        payments, purchases, paid_credits, credited = row
        assert payments == purchases and paid_credits == credited


async def _play(database_url: str, plan: list[list[Op]]) -> None:
    pool = AsyncConnectionPool(database_url, min_size=1, max_size=6, open=False, kwargs={"autocommit": True})
    await pool.open()
    try:
        world = _World(pool)
        for user in world.users:
            await world.ledger.ensure_user(user, language="en")
        for batch in plan:
            await asyncio.gather(*(world.apply(op) for op in batch))
            await _check(world)
    finally:
        await pool.close()


class TestLedgerProperties:
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(plan=rounds)
    def test_random_interleavings_keep_money_exact(self, database_url: str, plan: list[list[Op]]) -> None:
        """After every round of concurrent operations: no negative balance, balance == ledger, keys once."""
        apply_migrations(database_url)
        asyncio.run(_play(database_url, plan))

    def test_database_refuses_a_negative_balance_whatever_the_code(self, database_url: str) -> None:
        """The CHECK constraint is the last line: a direct write below zero fails."""
        apply_migrations(database_url)
        user = random.randrange(6 * 10**9, 7 * 10**9)
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("INSERT INTO users (id) VALUES (%s)", (user,))
            try:
                conn.execute("UPDATE users SET balance = -1 WHERE id = %s", (user,))
            except psycopg.errors.CheckViolation:
                return
        raise AssertionError("a negative balance was accepted")
