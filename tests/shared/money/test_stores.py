"""Money stores and rules on real PostgreSQL: checkout checks, job limits, prices, packs, broadcasts."""

from __future__ import annotations

import asyncio
import random
import uuid
from decimal import Decimal

import pytest
from psycopg_pool import AsyncConnectionPool

from shared.catalog import load_registry
from shared.jobs import FailureReason, JobStore, NewJob
from shared.jobs.limits import DailyCapReached, JobLimits, TooManyActiveJobs
from shared.ledger import Ledger, MovementKind
from shared.money import (
    Accounts,
    BroadcastStore,
    Checkout,
    CreditPack,
    Delivery,
    InvoiceSigner,
    PackError,
    PaymentMismatch,
    PaymentStore,
    PricedRegistry,
    parse_packs,
    sell_price,
)

PACKS = parse_packs("100:50,500:225")
SIGNER = InvoiceSigner(b"test payload key")


def _payments(pool: AsyncConnectionPool) -> PaymentStore:
    return PaymentStore(pool, PACKS, signer=SIGNER)


def _job(user: int, price: int) -> NewJob:
    return NewJob(
        user_id=user,
        chat_id=user,
        model_id="m",
        params={},
        price_credits=price,
        time_limit_seconds=60,
        typical_seconds=5,
    )


async def _funded(pool: AsyncConnectionPool, user: int, credits: int) -> Ledger:
    ledger = Ledger(pool)
    await ledger.ensure_user(user)
    await ledger.grant(user, credits, MovementKind.GRANT, "test", key=f"fund:{user}")
    return ledger


class TestCheckout:
    async def test_checkout_verdicts(self, pool: AsyncConnectionPool, new_user_id: int) -> None:
        """Signed pack at its price: ok; gone, repriced, forged, foreign, underpaid, banned: refused."""
        store = _payments(pool)
        await Ledger(pool).ensure_user(new_user_id)
        signed = store.invoice_payload(PACKS[0], new_user_id)
        assert await store.check_checkout(new_user_id, signed, "XTR", 50) is Checkout.OK
        gone = store.invoice_payload(CreditPack(999, 50), new_user_id)
        assert await store.check_checkout(new_user_id, gone, "XTR", 50) is Checkout.UNKNOWN_PACK
        old_price = store.invoice_payload(CreditPack(100, 40), new_user_id)
        assert await store.check_checkout(new_user_id, old_price, "XTR", 40) is Checkout.PRICE_CHANGED
        for payload in ("junk", "pack:100:50", signed[:-2] + "AA", signed.replace(":100:", ":500:")):
            assert await store.check_checkout(new_user_id, payload, "XTR", 50) is Checkout.FORGED
        foreign = store.invoice_payload(PACKS[0], new_user_id + 1)
        assert await store.check_checkout(new_user_id, foreign, "XTR", 50) is Checkout.FORGED
        assert await store.check_checkout(new_user_id, signed, "USD", 50) is Checkout.WRONG_AMOUNT
        assert await store.check_checkout(new_user_id, signed, "XTR", 1) is Checkout.WRONG_AMOUNT
        await Accounts(pool).set_banned(new_user_id, True)
        assert await store.check_checkout(new_user_id, signed, "XTR", 50) is Checkout.BANNED

    @pytest.mark.parametrize(
        ("currency", "total", "foreign", "reason"),
        [("XTR", 1, False, "wrong_amount"), ("USD", 50, False, "wrong_amount"), ("XTR", 50, True, "forged")],
    )
    async def test_mismatched_payment_credits_nothing(
        self,
        pool: AsyncConnectionPool,
        new_user_id: int,
        currency: str,
        total: int,
        foreign: bool,
        reason: str,
    ) -> None:
        """Underpaid, other currency or foreign payload: PaymentMismatch, nothing written."""
        store = _payments(pool)
        await Ledger(pool).ensure_user(new_user_id)
        payload = store.invoice_payload(PACKS[0], new_user_id + 1 if foreign else new_user_id)
        charge = f"bad-{uuid.uuid4().hex}"
        with pytest.raises(PaymentMismatch) as refused:
            await store.credit(new_user_id, charge, None, payload, currency=currency, total=total)
        assert refused.value.reason == reason
        assert await Ledger(pool).balance(new_user_id) == 0
        assert await store.get(charge) is None

    async def test_two_workers_crediting_one_charge_credit_once(
        self, database_url: str, new_user_id: int
    ) -> None:
        """Two pools (two workers) crediting one charge at once: one credit, both see the payment."""
        pools = [
            AsyncConnectionPool(database_url, min_size=1, max_size=2, open=False, kwargs={"autocommit": True})
            for _ in range(2)
        ]
        for pool in pools:
            await pool.open()
        try:
            charge = f"race-{uuid.uuid4().hex}"
            results = await asyncio.gather(
                *(
                    _payments(p).credit(
                        new_user_id,
                        charge,
                        None,
                        _payments(p).invoice_payload(PACKS[0], new_user_id),
                        currency="XTR",
                        total=50,
                    )
                    for p in pools
                )
            )
            assert sorted(r.created for r in results) == [False, True]
            assert await Ledger(pools[0]).balance(new_user_id) == 100
        finally:
            for pool in pools:
                await pool.close()

    async def test_concurrent_purchases_of_one_user_all_credit(
        self, pool: AsyncConnectionPool, new_user_id: int
    ) -> None:
        """Eight different charges of one user credited at once: no deadlock, every pack credited."""
        store = _payments(pool)
        charges = [f"many-{uuid.uuid4().hex}" for _ in range(8)]
        payload = store.invoice_payload(PACKS[0], new_user_id)
        await asyncio.gather(
            *(
                store.credit(new_user_id, charge, None, payload, currency="XTR", total=50)
                for charge in charges
            )
        )
        assert await Ledger(pool).balance(new_user_id) == 800


class TestJobLimits:
    async def test_third_active_job_is_refused(self, pool: AsyncConnectionPool, new_user_id: int) -> None:
        """With two jobs running, a third is refused and holds nothing; concurrent presses cannot slip by."""
        await _funded(pool, new_user_id, 100)
        store = JobStore(pool, JobLimits(max_active=2))
        results = await asyncio.gather(
            *(store.create_job(_job(new_user_id, 10)) for _ in range(4)), return_exceptions=True
        )
        refused = [r for r in results if isinstance(r, TooManyActiveJobs)]
        assert len(refused) == 2 and refused[0].limit == 2
        assert await Ledger(pool).balance(new_user_id) == 80

    async def test_daily_cap_refuses_the_job_that_would_pass_it(
        self, pool: AsyncConnectionPool, new_user_id: int
    ) -> None:
        """Spending today counts today's jobs; the job that would pass the cap is refused."""
        await _funded(pool, new_user_id, 100)
        store = JobStore(pool, JobLimits(max_active=10, daily_spend_cap=25))
        await store.create_job(_job(new_user_id, 20))
        with pytest.raises(DailyCapReached) as refused:
            await store.create_job(_job(new_user_id, 10))
        assert refused.value.left == 5
        assert await Ledger(pool).balance(new_user_id) == 80

    async def test_daily_cap_counts_kie_spend_not_refunds(
        self, pool: AsyncConnectionPool, new_user_id: int
    ) -> None:
        """Jobs KIE took (stopped waiting, failed and refunded) count; one cancelled while queued not."""
        await _funded(pool, new_user_id, 100)
        store = JobStore(pool, JobLimits(max_active=10, daily_spend_cap=30))
        first, failed, queued = [(await store.create_job(_job(new_user_id, 10))).job for _ in range(3)]
        await store.cancel(queued.id, new_user_id)
        for job in (first, failed):
            async with pool.connection() as conn:
                await conn.execute(
                    "UPDATE jobs SET state = 'submitted', kie_task_id = %s WHERE id = %s",
                    (uuid.uuid4().hex, job.id),
                )
        await store.cancel(first.id, new_user_id)
        await store.refund(failed.id, FailureReason.GENERATION_FAILED)
        capped = JobStore(pool, JobLimits(max_active=10, daily_spend_cap=25))
        with pytest.raises(DailyCapReached) as refused:
            await capped.create_job(_job(new_user_id, 10))
        assert refused.value.spent == 20


class TestPrices:
    def test_markup_rounds_up(self) -> None:
        """KIE price × markup, rounded up, at least one credit."""
        assert sell_price(10, Decimal("1.5")) == 15
        assert sell_price(3, Decimal("1.5")) == 5
        assert sell_price(1, Decimal("0.1")) == 1

    def test_priced_registry_marks_up_every_price(self) -> None:
        """The registry the bot sells from shows and charges marked-up prices."""
        base = load_registry()
        priced = PricedRegistry.of(base, Decimal("1.5"))
        model = base.models[0]
        assert priced.price(model.id) == sell_price(base.price(model.id), Decimal("1.5"))
        assert priced.starting_price(model.id) == sell_price(base.starting_price(model.id), Decimal("1.5"))

    @pytest.mark.parametrize("raw", ["", "100", "100:0", "a:b", "100:5,100:6", "100:50;200:90"])
    def test_bad_packs_are_refused(self, raw: str) -> None:
        """A malformed CREDIT_PACKS is an error naming the part, not a silent default."""
        with pytest.raises(PackError):
            parse_packs(raw)


class TestBroadcastStore:
    async def test_recipients_are_claimed_once_and_the_broadcast_closes_once(
        self, pool: AsyncConnectionPool
    ) -> None:
        """Concurrent claimers never get the same recipient; the finished broadcast is reported once."""
        ledger = Ledger(pool)
        base = random.randrange(8 * 10**9, 9 * 10**9)
        for offset in range(5):
            await ledger.ensure_user(base + offset)
        store = BroadcastStore(pool)
        broadcast_id, recipients = await store.create(1, "hello")
        assert recipients >= 5
        claimed = []
        while True:
            batch = [c for c in await asyncio.gather(store.claim(), store.claim()) if c is not None]
            if not batch:
                break
            claimed.extend(c for c in batch if c.broadcast_id == broadcast_id)
            for item in batch:
                await store.record(item, Delivery.DELIVERED)
        assert len({c.user_id for c in claimed}) == len(claimed) == recipients
        finished = [f for f in await store.finish() if f.broadcast_id == broadcast_id]
        assert finished and finished[0].count(Delivery.DELIVERED) == recipients
        assert [f for f in await store.finish() if f.broadcast_id == broadcast_id] == []
