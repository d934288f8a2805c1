"""Stars refunds in two phases: record the intent and take the credits back, ask Telegram, settle.

1. Intent (one transaction): the payment and its user are locked; a refunded payment is refused; the
   user must still hold the credits the purchase bought plus the referral bonus it paid them (else
   ``CREDITS_SPENT``). Those are taken back (ledger keys ``stars:<charge>:refund:<attempt>...``), the
   referrer loses the bonus it paid them as far as their balance allows, and ``refund_requested_at``
   is set. Committed before Telegram is asked, so credits cannot be spent meanwhile.
2. Telegram is asked to return the Stars, outside any transaction (``refund_stars``, injected).
3. Settle: Telegram returned them, or says CHARGE_ALREADY_REFUNDED (an earlier call that timed out
   succeeded): ``refunded_at`` is set. Telegram refused for good: the intent is undone (the credits
   come back, keys ``...:undone``). No answer (timeout): the refund stays requested and running it
   again finishes it (phase 1 then takes nothing more).

Referral bonuses vest with the purchase: refunding the purchase that paid one takes it back from both
sides and clears ``referral_paid_at``, so the user's next purchase pays it again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from shared.ledger import MovementKind, record_movement
from shared.money.errors import RefundBlock, RefundRefused
from shared.money.records import Payment, balance_of, lock_balance, lock_payment

__all__ = ["RefundAnswer", "RefundStars", "StarsRefunds"]


class RefundAnswer(StrEnum):
    """What Telegram said to refundStarPayment."""

    DONE = "done"  # the Stars are back with the user (or were already: CHARGE_ALREADY_REFUNDED)
    REFUSED = "refused"  # refused for good: nothing was returned
    UNKNOWN = "unknown"  # no answer (timeout, network): the Stars may or may not be back


RefundStars = Callable[[int, str], Awaitable[RefundAnswer]]
"""Asks Telegram to return a payment's Stars: ``(user_id, charge_id)`` → its answer."""

_REQUEST = """
UPDATE payments SET refund_requested_at = now(), refund_requested_by = %s, refund_attempt = %s
WHERE charge_id = %s
"""
_SETTLE = """
UPDATE payments SET refunded_at = now(), refunded_by = refund_requested_by
WHERE charge_id = %s AND refunded_at IS NULL RETURNING *
"""
_WITHDRAW = "UPDATE payments SET refund_requested_at = NULL, refund_requested_by = NULL WHERE charge_id = %s"
_KEYED = "SELECT user_id, amount, kind, idempotency_key FROM ledger WHERE idempotency_key = ANY(%s)"
_BONUS_PAID = "UPDATE users SET referral_paid_at = %s WHERE id = %s"


class StarsRefunds:
    """Refunds of Stars payments (see the module docstring)."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._pool = pool

    async def refund(self, charge_id: str, admin_id: int, refund_stars: RefundStars) -> Payment:
        """Refund the payment once; raises PaymentNotFound or RefundRefused (``block`` says why:
        already refunded, credits spent, Telegram refused (undone), or pending (run it again))."""
        payment = await self._intend(charge_id, admin_id)
        answer = await refund_stars(payment.user_id, charge_id)
        if answer is RefundAnswer.DONE:
            return await self._settle(charge_id)
        if answer is RefundAnswer.REFUSED:
            await self._undo(charge_id)
            raise RefundRefused(charge_id, RefundBlock.TELEGRAM_REFUSED)
        raise RefundRefused(charge_id, RefundBlock.PENDING)

    async def _intend(self, charge_id: str, admin_id: int) -> Payment:
        async with self._pool.connection() as conn, conn.transaction():
            payment = await lock_payment(conn, charge_id)
            if payment.refunded_at is not None:
                raise RefundRefused(charge_id, RefundBlock.ALREADY_REFUNDED)
            if payment.refund_requested_at is not None:  # a refund whose answer was lost: finish it
                return payment
            balance = await lock_balance(conn, payment.user_id)
            needed = payment.pack_credits + payment.referral_bonus
            if balance < needed:
                raise RefundRefused(charge_id, RefundBlock.CREDITS_SPENT, balance=balance, credits=needed)
            attempt = payment.refund_attempt + 1
            await _take_back(conn, payment, f"stars:{charge_id}:refund:{attempt}")
            await conn.execute(_REQUEST, (admin_id, attempt, charge_id))
        return payment

    async def _settle(self, charge_id: str) -> Payment:
        async with self._pool.connection() as conn, conn.transaction():
            payment = await lock_payment(conn, charge_id)
            async with conn.cursor(row_factory=dict_row) as cur:
                await cur.execute(_SETTLE, (charge_id,))
                row = await cur.fetchone()
        return Payment.from_row(row) if row else payment

    async def _undo(self, charge_id: str) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            payment = await lock_payment(conn, charge_id)
            if payment.refunded_at is not None or payment.refund_requested_at is None:
                return
            prefix = f"stars:{charge_id}:refund:{payment.refund_attempt}"
            keys = [prefix, f"{prefix}:bonus", f"{prefix}:referrer"]
            for user_id, amount, kind, key in await (await conn.execute(_KEYED, (keys,))).fetchall():
                await _move(conn, int(user_id), -int(amount), MovementKind(kind), f"{key}:undone")
            if payment.referral_bonus:
                await conn.execute(_BONUS_PAID, (payment.created_at, payment.user_id))
            await conn.execute(_WITHDRAW, (charge_id,))


async def _take_back(conn: psycopg.AsyncConnection[Any], payment: Payment, key: str) -> None:
    """The purchase's credits and the bonus it paid, from the user; the referrer's bonus as far as it goes."""
    await _move(conn, payment.user_id, -payment.pack_credits, MovementKind.PURCHASE, key)
    if not payment.referral_bonus:
        return
    bonus = payment.referral_bonus
    await _move(conn, payment.user_id, -bonus, MovementKind.REFERRAL, f"{key}:bonus")
    await conn.execute(_BONUS_PAID, (None, payment.user_id))
    if payment.referrer_id is not None:
        taken = min(bonus, await balance_of(conn, payment.referrer_id))
        if taken > 0:
            await _move(conn, payment.referrer_id, -taken, MovementKind.REFERRAL, f"{key}:referrer")


async def _move(
    conn: psycopg.AsyncConnection[Any], user_id: int, amount: int, kind: MovementKind, key: str
) -> None:
    reason = "stars refund" if amount < 0 else "stars refund undone"
    await record_movement(conn, user_id=user_id, amount=amount, kind=kind, reason=reason, key=key)
