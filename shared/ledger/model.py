"""The ledger's record types: movement kinds, one movement, and the outcome of recording one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

__all__ = ["Movement", "MovementKind", "Recorded"]


class MovementKind(StrEnum):
    """Why credits moved. hold/capture/refund belong to jobs; the others to money and admin."""

    GRANT = "grant"
    PURCHASE = "purchase"
    HOLD = "hold"
    CAPTURE = "capture"
    REFUND = "refund"
    ADMIN = "admin"
    REFERRAL = "referral"


JOB_KINDS = frozenset({MovementKind.HOLD, MovementKind.CAPTURE, MovementKind.REFUND})


@dataclass(frozen=True, slots=True)
class Movement:
    """One ledger row: a signed amount of credits with its reason and idempotency key."""

    id: int
    user_id: int
    amount: int
    kind: MovementKind
    reason: str
    idempotency_key: str
    job_id: UUID | None
    balance_after: int
    created_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Movement:
        """Build a movement from a `ledger` row read with dict_row."""
        return cls(
            id=int(row["id"]),
            user_id=int(row["user_id"]),
            amount=int(row["amount"]),
            kind=MovementKind(row["kind"]),
            reason=str(row["reason"]),
            idempotency_key=str(row["idempotency_key"]),
            job_id=row["job_id"],
            balance_after=int(row["balance_after"]),
            created_at=row["created_at"],
        )


@dataclass(frozen=True, slots=True)
class Recorded:
    """The outcome of an idempotent movement: the row, and whether this call created it."""

    movement: Movement
    created: bool
