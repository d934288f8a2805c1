"""The credits ledger: one row per movement, balances kept in step, never negative.

    ledger = Ledger(pool)
    await ledger.ensure_user(user_id, language="en")
    await ledger.grant(user_id, 50, MovementKind.GRANT, "welcome bonus", key=f"welcome:{user_id}")
    await ledger.balance(user_id)              # 50
    await ledger.movements(user_id, limit=10)  # newest first

Holds are negative movements: `balance` is what the user can spend now. Jobs record their hold,
capture and refund through `shared.jobs.JobStore` (same transaction as the job change).
"""

from typing import TYPE_CHECKING

from shared.lazy import lazy_exports

if TYPE_CHECKING:
    from shared.ledger.errors import IdempotencyConflict, InsufficientCredits, LedgerError, UnknownUser
    from shared.ledger.ledger import Ledger, record_movement
    from shared.ledger.model import Movement, MovementKind, Recorded

__all__ = [
    "IdempotencyConflict",
    "InsufficientCredits",
    "Ledger",
    "LedgerError",
    "Movement",
    "MovementKind",
    "Recorded",
    "UnknownUser",
    "record_movement",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "errors": ("IdempotencyConflict", "InsufficientCredits", "LedgerError", "UnknownUser"),
        "ledger": ("Ledger", "record_movement"),
        "model": ("Movement", "MovementKind", "Recorded"),
    },
)
