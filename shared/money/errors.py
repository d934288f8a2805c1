"""Errors of the money layer: payments, refunds, promo codes.

TrtError
└── MoneyError                  a money operation was refused; nothing was written
    ├── PaymentNotFound         no payment has this charge id
    ├── PaymentMismatch         a payment does not match its signed invoice; ``reason`` says how
    ├── RefundRefused           a refund cannot be made; ``reason`` says why in one word
    └── PromoExists             a promo code with this name exists already
"""

from __future__ import annotations

from enum import StrEnum

from shared.errors import TrtError

__all__ = ["MoneyError", "PaymentMismatch", "PaymentNotFound", "PromoExists", "RefundBlock", "RefundRefused"]


class MoneyError(TrtError):
    """A money operation was refused; its transaction wrote nothing."""


class PaymentNotFound(MoneyError):
    """No payment is recorded under this telegram_payment_charge_id."""

    def __init__(self, charge_id: str) -> None:
        super().__init__(f"no payment with charge id {charge_id!r}")
        self.charge_id = charge_id


class PaymentMismatch(MoneyError):
    """A successful_payment whose payload, currency or amount is not what the bot signed; not credited."""

    def __init__(self, charge_id: str, reason: str, *, currency: str, total: int) -> None:
        super().__init__(f"payment {charge_id!r} does not match its invoice: {reason} ({total} {currency})")
        self.charge_id = charge_id
        self.reason = reason
        self.currency = currency
        self.total = total


class RefundBlock(StrEnum):
    """Why a Stars refund was refused."""

    ALREADY_REFUNDED = "already_refunded"
    CREDITS_SPENT = "credits_spent"  # the balance is below the credits this payment bought (and its bonus)
    TELEGRAM_REFUSED = "telegram_refused"  # Telegram refused to return the Stars; the intent was undone
    PENDING = "pending"  # Telegram did not answer; the credits are held back, run the refund again


class RefundRefused(MoneyError):
    """A refund was refused: ``block`` says why; for spent credits ``balance`` and ``credits`` say how."""

    def __init__(self, charge_id: str, block: RefundBlock, *, balance: int = 0, credits: int = 0) -> None:
        super().__init__(f"refund of {charge_id!r} refused: {block.value}")
        self.charge_id = charge_id
        self.block = block
        self.balance = balance
        self.credits = credits


class PromoExists(MoneyError):
    """A promo code with this name exists already (codes are never reused)."""

    def __init__(self, code: str) -> None:
        super().__init__(f"promo code {code!r} exists")
        self.code = code
