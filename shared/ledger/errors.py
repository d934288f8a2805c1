"""Errors of the credits ledger.

TrtError
└── LedgerError              a movement was refused; nothing was written
    ├── UnknownUser          the user has no row in `users` yet (see Ledger.ensure_user)
    ├── InsufficientCredits  the movement would take the balance below zero
    └── IdempotencyConflict  the key was already used for a different movement
"""

from __future__ import annotations

from shared.errors import TrtError

__all__ = ["IdempotencyConflict", "InsufficientCredits", "LedgerError", "UnknownUser"]


class LedgerError(TrtError):
    """A credit movement was refused; the transaction it ran in wrote nothing."""


class UnknownUser(LedgerError):
    """The user has no row in `users`; create it with `Ledger.ensure_user` first."""

    def __init__(self, user_id: int) -> None:
        super().__init__(f"user {user_id} is unknown")
        self.user_id = user_id


class InsufficientCredits(LedgerError):
    """The user's balance is below what the movement needs; `balance` and `needed` say by how much."""

    def __init__(self, user_id: int, balance: int, needed: int) -> None:
        super().__init__(f"user {user_id} has {balance} credits, {needed} needed")
        self.user_id = user_id
        self.balance = balance
        self.needed = needed

    @property
    def missing(self) -> int:
        """How many credits the user lacks."""
        return max(0, self.needed - self.balance)


class IdempotencyConflict(LedgerError):
    """An idempotency key was reused for a movement with another user, amount or kind."""

    def __init__(self, key: str) -> None:
        super().__init__(f"idempotency key {key!r} was already used for a different movement")
        self.key = key
