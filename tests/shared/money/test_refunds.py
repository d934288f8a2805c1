"""Two-phase Stars refunds on real PostgreSQL: intent before Telegram, settle or undo, bonus reversed."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from psycopg_pool import AsyncConnectionPool

from shared.jobs import JobStore, NewJob
from shared.ledger import InsufficientCredits, Ledger
from shared.money import (
    InvoiceSigner,
    PaymentStore,
    Referrals,
    RefundAnswer,
    RefundBlock,
    RefundRefused,
    RefundStars,
    StarsRefunds,
    parse_packs,
)

PACKS = parse_packs("100:50")
BONUS = 25
ADMIN = 1


async def _bought(pool: AsyncConnectionPool, user: int, referrer: int | None = None) -> str:
    """The user (with an optional referrer) buys the 100-credit pack; returns the charge id."""
    ledger = Ledger(pool)
    await ledger.ensure_user(user)
    if referrer is not None:
        await ledger.ensure_user(referrer)
        assert await Referrals(pool).record(user, referrer)
    store = PaymentStore(pool, PACKS, BONUS, signer=InvoiceSigner(b"refund test key"))
    charge = f"refund-{uuid.uuid4().hex}"
    payload = store.invoice_payload(PACKS[0], user)
    await store.credit(user, charge, None, payload, currency="XTR", total=50)
    return charge


def _telegram(*answers: RefundAnswer) -> tuple[list[str], RefundStars]:
    calls: list[str] = []
    queue = list(answers)

    async def refund_stars(user_id: int, charge_id: str) -> RefundAnswer:
        calls.append(charge_id)
        return queue.pop(0)

    return calls, refund_stars


async def _paid_at(pool: AsyncConnectionPool, user: int) -> object:
    async with pool.connection() as conn:
        row = await (
            await conn.execute("SELECT referral_paid_at FROM users WHERE id = %s", (user,))
        ).fetchone()
    assert row is not None
    return row[0]


class TestTwoPhaseRefund:
    async def test_lost_answer_holds_the_credits_and_a_retry_settles_once(
        self, pool: AsyncConnectionPool, new_user_id: int
    ) -> None:
        """Timeout: credits held back, refund pending; the retry (CHARGE_ALREADY_REFUNDED) settles."""
        charge = await _bought(pool, new_user_id)
        refunds, ledger = StarsRefunds(pool), Ledger(pool)
        calls, telegram = _telegram(RefundAnswer.UNKNOWN, RefundAnswer.DONE)
        with pytest.raises(RefundRefused) as pending:
            await refunds.refund(charge, ADMIN, telegram)
        assert pending.value.block is RefundBlock.PENDING
        assert await ledger.balance(new_user_id) == 0
        payment = await refunds.refund(charge, ADMIN, telegram)
        assert payment.refunded_at is not None and len(calls) == 2
        assert await ledger.balance(new_user_id) == 0
        with pytest.raises(RefundRefused) as again:
            await refunds.refund(charge, ADMIN, telegram)
        assert again.value.block is RefundBlock.ALREADY_REFUNDED and len(calls) == 2

    async def test_telegram_refusal_undoes_the_intent(
        self, pool: AsyncConnectionPool, new_user_id: int
    ) -> None:
        """Telegram refuses: the credits come back and a later refund can still be made."""
        charge = await _bought(pool, new_user_id)
        refunds, ledger = StarsRefunds(pool), Ledger(pool)
        _, telegram = _telegram(RefundAnswer.REFUSED, RefundAnswer.DONE)
        with pytest.raises(RefundRefused) as refused:
            await refunds.refund(charge, ADMIN, telegram)
        assert refused.value.block is RefundBlock.TELEGRAM_REFUSED
        assert await ledger.balance(new_user_id) == 100
        assert (await refunds.refund(charge, ADMIN, telegram)).refunded_at is not None
        assert await ledger.balance(new_user_id) == 0

    async def test_credits_cannot_be_spent_while_telegram_is_asked(
        self, pool: AsyncConnectionPool, new_user_id: int
    ) -> None:
        """While the refund waits on Telegram the purchase's credits are already gone from the balance."""
        charge = await _bought(pool, new_user_id)
        asked, release = asyncio.Event(), asyncio.Event()

        async def slow_telegram(user_id: int, charge_id: str) -> RefundAnswer:
            asked.set()
            await release.wait()
            return RefundAnswer.DONE

        refund = asyncio.create_task(StarsRefunds(pool).refund(charge, ADMIN, slow_telegram))
        await asked.wait()
        new = NewJob(new_user_id, new_user_id, "m", {}, 60, 60, 5)
        with pytest.raises(InsufficientCredits):
            await asyncio.wait_for(JobStore(pool).create_job(new), 5)
        release.set()
        await refund
        assert await Ledger(pool).balance(new_user_id) == 0

    async def test_refund_takes_back_the_referral_bonus_it_paid(
        self, pool: AsyncConnectionPool, new_user_id: int
    ) -> None:
        """The first purchase paid 25 to both sides; its refund takes both back and un-vests the bonus."""
        referrer = new_user_id + 1
        charge = await _bought(pool, new_user_id, referrer)
        ledger = Ledger(pool)
        assert (await ledger.balance(new_user_id), await ledger.balance(referrer)) == (125, 25)
        _, telegram = _telegram(RefundAnswer.DONE)
        await StarsRefunds(pool).refund(charge, ADMIN, telegram)
        assert (await ledger.balance(new_user_id), await ledger.balance(referrer)) == (0, 0)
        assert await _paid_at(pool, new_user_id) is None

    async def test_bonus_spent_by_the_user_blocks_the_refund(
        self, pool: AsyncConnectionPool, new_user_id: int
    ) -> None:
        """A user who spent their bonus must still cover it: the refund is refused, nothing moves."""
        charge = await _bought(pool, new_user_id, new_user_id + 1)
        await JobStore(pool).create_job(NewJob(new_user_id, new_user_id, "m", {}, 10, 60, 5))
        _, telegram = _telegram(RefundAnswer.DONE)
        with pytest.raises(RefundRefused) as spent:
            await StarsRefunds(pool).refund(charge, ADMIN, telegram)
        assert (spent.value.block, spent.value.credits) == (RefundBlock.CREDITS_SPENT, 125)
        assert await Ledger(pool).balance(new_user_id) == 115
