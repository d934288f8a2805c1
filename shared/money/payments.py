"""Telegram Stars payments: checkout checks and crediting exactly once (refunds: shared.money.refunds).

Crediting keys everything on ``telegram_payment_charge_id``: the ``payments`` row (primary key) and
the ledger row (idempotency key ``stars:<charge id>``) are written in one transaction, so a payment
delivered twice, or handled by two workers at once, is credited once (the second insert waits on the
first's key and then finds it). The new user's first purchase pays the referral bonus, once.
The purchase that paid the referral bonus records it (``referrer_id``, ``referral_bonus``) so that
its refund can take the bonus back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from shared.ledger import MovementKind, record_movement
from shared.money.errors import MoneyError, PaymentMismatch
from shared.money.invoices import STARS, InvoiceSigner, Mismatch
from shared.money.packs import CreditPack, find_pack
from shared.money.records import Payment, balance_of, lock_payment
from shared.money.referrals import pay_referral_bonus

__all__ = ["STARS", "Checkout", "Credited", "Payment", "PaymentStore"]

_INSERT = """
INSERT INTO payments (charge_id, provider_charge_id, user_id, pack_credits, stars)
VALUES (%s, %s, %s, %s, %s) ON CONFLICT (charge_id) DO NOTHING RETURNING *
"""
_PAID_BONUS = "UPDATE payments SET referrer_id = %s, referral_bonus = %s WHERE charge_id = %s"


class Checkout(StrEnum):
    """The verdict on a pre_checkout_query: ok, or why not (a catalog key suffix)."""

    OK = "ok"
    UNKNOWN_PACK = "unknown_pack"
    PRICE_CHANGED = "price_changed"
    BANNED = "banned"
    FORGED = "forged"  # a payload this bot did not sign for this user: alert the admins
    WRONG_AMOUNT = "wrong_amount"  # not XTR, or not the signed price: alert the admins

    @property
    def suspicious(self) -> bool:
        """A tampered or foreign checkout (the admins are alerted), not an honest stale invoice."""
        return self in (Checkout.FORGED, Checkout.WRONG_AMOUNT)


@dataclass(frozen=True, slots=True)
class Credited:
    """The outcome of crediting a payment: the row, whether this call credited it, and the balance."""

    payment: Payment
    created: bool
    balance: int
    referrer_id: int | None = None  # set when this purchase paid the referral bonus


class PaymentStore:
    """Stars payments of the configured ``packs``; ``referral_bonus`` credits per side of a referral.

    ``signer`` signs each invoice's payload for its user and checks every payment against it.
    """

    def __init__(
        self,
        pool: AsyncConnectionPool[Any],
        packs: Sequence[CreditPack],
        referral_bonus: int = 0,
        *,
        signer: InvoiceSigner,
    ) -> None:
        self._pool = pool
        self._packs = tuple(packs)
        self._bonus = referral_bonus
        self._signer = signer

    @property
    def packs(self) -> tuple[CreditPack, ...]:
        """The packs on sale, in display order."""
        return self._packs

    def invoice_payload(self, pack: CreditPack, user_id: int) -> str:
        """The signed payload of ``pack``'s invoice for ``user_id``."""
        return self._signer.payload(pack, user_id)

    async def check_checkout(self, user_id: int, payload: str, currency: str, total: int) -> Checkout:
        """Whether to accept a pre_checkout_query: signed for this user, XTR at the signed price, the
        pack still on sale at that price, the user not banned."""
        offered = self._signer.check(payload, user_id, currency, total)
        if isinstance(offered, Mismatch):
            return Checkout(offered.value)
        pack = find_pack(self._packs, offered.credits)
        if pack is None:
            return Checkout.UNKNOWN_PACK
        if offered != pack:
            return Checkout.PRICE_CHANGED
        async with self._pool.connection() as conn:
            row = await (await conn.execute("SELECT banned FROM users WHERE id = %s", (user_id,))).fetchone()
        return Checkout.BANNED if row is not None and row[0] else Checkout.OK

    async def credit(
        self,
        user_id: int,
        charge_id: str,
        provider_charge_id: str | None,
        payload: str,
        *,
        currency: str,
        total: int,
    ) -> Credited:
        """Record the payment and add its pack's credits, once per charge id (see the module docstring).

        The credits are those of the signed payload (the pack as offered and paid for, even if its
        price changed since). Raises PaymentMismatch, writing nothing, when the payload was not
        signed for this user or the currency or amount is not the signed price.
        """
        pack = self._signer.check(payload, user_id, currency, total)
        if isinstance(pack, Mismatch):
            raise PaymentMismatch(charge_id, pack.value, currency=currency, total=total)
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute("INSERT INTO users (id) VALUES (%s) ON CONFLICT (id) DO NOTHING", (user_id,))
            # The user row is locked before the payment row references it: the reference takes a share
            # lock on it, and two purchases each holding one while waiting to update it deadlock.
            await conn.execute("SELECT 1 FROM users WHERE id = %s FOR UPDATE", (user_id,))
            async with conn.cursor(row_factory=dict_row) as cur:
                await cur.execute(_INSERT, (charge_id, provider_charge_id, user_id, pack.credits, pack.stars))
                row = await cur.fetchone()
            if row is None:
                return await self._existing(conn, charge_id, user_id)
            recorded = await record_movement(
                conn,
                user_id=user_id,
                amount=pack.credits,
                kind=MovementKind.PURCHASE,
                reason=f"stars {pack.stars}",
                key=f"stars:{charge_id}",
            )
            referrer = await pay_referral_bonus(conn, user_id, self._bonus) if self._bonus > 0 else None
            if referrer is not None:
                await conn.execute(_PAID_BONUS, (referrer, self._bonus, charge_id))
            balance = await balance_of(conn, user_id)
        return Credited(Payment.from_row(row), recorded.created, balance, referrer)

    async def _existing(self, conn: psycopg.AsyncConnection[Any], charge_id: str, user_id: int) -> Credited:
        payment = await lock_payment(conn, charge_id)
        if payment.user_id != user_id:  # charge ids are unique at Telegram: never credit a stranger
            raise MoneyError(f"charge id {charge_id!r} belongs to another user")
        return Credited(payment, False, await balance_of(conn, payment.user_id))

    async def get(self, charge_id: str) -> Payment | None:
        """The payment with this charge id, or None."""
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute("SELECT * FROM payments WHERE charge_id = %s", (charge_id,))
            row = await cur.fetchone()
        return Payment.from_row(row) if row else None
