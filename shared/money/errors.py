"""Errors of the money layer: payments, refunds, promo codes.

TrtError
└── MoneyError                  a money operation was refused; nothing was written
    ├── PaymentNotFound         no payment has this charge id
    ├── RefundRefused           a refund cannot be made; ``reason`` says why in one word
    └── PromoExists             a promo code with this name exists already
"""

from __future__ import annotations

from enum import StrEnum

from shared.errors import TrtError

__all__ = ["MoneyError", "PaymentNotFound", "PromoExists", "RefundBlock", "RefundRefused"]


class MoneyError(TrtError):
    """A money operation was refused; its transaction wrote nothing."""


class PaymentNotFound(MoneyError):
    """No payment is recorded under this telegram_payment_charge_id."""

    def __init__(self, charge_id: str) -> None:
        super().__init__(f"no payment with charge id {charge_id!r}")
        self.charge_id = charge_id


class RefundBlock(StrEnum):
    """Why a Stars refund was refused."""

    ALREADY_REFUNDED = "already_refunded"
    CREDITS_SPENT = "credits_spent"  # the balance is below the credits this payment bought


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
