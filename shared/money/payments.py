"""Telegram Stars payments: checkout checks, crediting exactly once, and refunds that reverse credits.

Crediting keys everything on ``telegram_payment_charge_id``: the ``payments`` row (primary key) and
the ledger row (idempotency key ``stars:<charge id>``) are written in one transaction, so a payment
delivered twice, or handled by two workers at once, is credited once (the second insert waits on the
first's key and then finds it). The new user's first purchase pays the referral bonus, once.

A refund locks the payment and the user, refuses when the payment was refunded already or when the
balance is below the credits it bought (they were spent), records the reversal, and only then asks
Telegram to return the Stars (``refund_stars``, injected); if Telegram refuses, nothing is written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from shared.ledger import MovementKind, record_movement
from shared.money.errors import MoneyError, PaymentMismatch, PaymentNotFound, RefundBlock, RefundRefused
from shared.money.invoices import STARS, InvoiceSigner, Mismatch
from shared.money.packs import CreditPack, find_pack
from shared.money.referrals import pay_referral_bonus

__all__ = ["STARS", "Checkout", "Credited", "Payment", "PaymentStore", "RefundStars"]

RefundStars = Callable[[int, str], Awaitable[None]]
"""Asks Telegram to return a payment's Stars: ``(user_id, charge_id)``; raises when refused."""

_INSERT = """
INSERT INTO payments (charge_id, provider_charge_id, user_id, pack_credits, stars)
VALUES (%s, %s, %s, %s, %s) ON CONFLICT (charge_id) DO NOTHING RETURNING *
"""


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
class Payment:
    """One row of ``payments``."""

    charge_id: str
    user_id: int
    pack_credits: int
    stars: int
    created_at: datetime
    refunded_at: datetime | None

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
        )


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
            balance = await _balance(conn, user_id)
        return Credited(Payment.from_row(row), recorded.created, balance, referrer)

    async def _existing(self, conn: psycopg.AsyncConnection[Any], charge_id: str, user_id: int) -> Credited:
        payment = await _lock_payment(conn, charge_id)
        if payment.user_id != user_id:  # charge ids are unique at Telegram: never credit a stranger
            raise MoneyError(f"charge id {charge_id!r} belongs to another user")
        return Credited(payment, False, await _balance(conn, payment.user_id))

    async def get(self, charge_id: str) -> Payment | None:
        """The payment with this charge id, or None."""
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute("SELECT * FROM payments WHERE charge_id = %s", (charge_id,))
            row = await cur.fetchone()
        return Payment.from_row(row) if row else None

    async def refund(self, charge_id: str, admin_id: int, refund_stars: RefundStars) -> Payment:
        """Reverse the payment's credits and return its Stars, once (see the module docstring).

        Raises PaymentNotFound, or RefundRefused (already refunded; credits spent).
        """
        async with self._pool.connection() as conn, conn.transaction():
            payment = await _lock_payment(conn, charge_id)
            if payment.refunded_at is not None:
                raise RefundRefused(charge_id, RefundBlock.ALREADY_REFUNDED)
            balance = await _lock_balance(conn, payment.user_id)
            if balance < payment.pack_credits:
                raise RefundRefused(
                    charge_id, RefundBlock.CREDITS_SPENT, balance=balance, credits=payment.pack_credits
                )
            await record_movement(
                conn,
                user_id=payment.user_id,
                amount=-payment.pack_credits,
                kind=MovementKind.PURCHASE,
                reason=f"stars refund {payment.stars}",
                key=f"stars:{charge_id}:refund",
            )
            async with conn.cursor(row_factory=dict_row) as cur:
                await cur.execute(
                    "UPDATE payments SET refunded_at = now(), refunded_by = %s "
                    "WHERE charge_id = %s RETURNING *",
                    (admin_id, charge_id),
                )
                row = await cur.fetchone()
            await refund_stars(payment.user_id, charge_id)
        assert row is not None
        return Payment.from_row(row)


async def _lock_payment(conn: psycopg.AsyncConnection[Any], charge_id: str) -> Payment:
    async with conn.cursor(row_factory=dict_row) as cur:
        await cur.execute("SELECT * FROM payments WHERE charge_id = %s FOR UPDATE", (charge_id,))
        row = await cur.fetchone()
    if row is None:
        raise PaymentNotFound(charge_id)
    return Payment.from_row(row)


async def _lock_balance(conn: psycopg.AsyncConnection[Any], user_id: int) -> int:
    cur = await conn.execute("SELECT balance FROM users WHERE id = %s FOR UPDATE", (user_id,))
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def _balance(conn: psycopg.AsyncConnection[Any], user_id: int) -> int:
    row = await (await conn.execute("SELECT balance FROM users WHERE id = %s", (user_id,))).fetchone()
    return int(row[0]) if row else 0
