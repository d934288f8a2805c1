"""Promo codes: made by an admin with credits, a use limit and an expiry; redeemed once per user.

Redeeming locks the code's row, so its use count can never pass the limit however many users try
at once; the redemption row (primary key code + user) and the ledger key ``promo:<code>:<user>``
make a second redemption by the same user impossible.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from shared.ledger import MovementKind, record_movement
from shared.money.errors import PromoExists

__all__ = ["PromoStore", "Redeemed", "Redemption", "normalise_code"]

MAX_CODE_LENGTH = 32

_CREATE = """
INSERT INTO promo_codes (code, credits, max_uses, expires_at, created_by)
VALUES (%s, %s, %s, now() + make_interval(days => %s), %s) ON CONFLICT (code) DO NOTHING RETURNING code
"""
_LOCK = "SELECT *, expires_at <= now() AS expired FROM promo_codes WHERE code = %s FOR UPDATE"


class Redemption(StrEnum):
    """How a redemption went (a catalog key suffix)."""

    OK = "ok"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"
    ALREADY_USED = "already_used"


@dataclass(frozen=True, slots=True)
class Redeemed:
    """The outcome of a redemption: what happened and, when it worked, the credits and new balance."""

    result: Redemption
    credits: int = 0
    balance: int = 0


def normalise_code(raw: str) -> str | None:
    """A code as stored (upper case letters, digits, ``_`` and ``-``), or None when it is not valid."""
    code = raw.strip().upper()
    if not 1 <= len(code) <= MAX_CODE_LENGTH or not all(ch.isalnum() or ch in "_-" for ch in code):
        return None
    return code if code.isascii() else None


class PromoStore:
    """Create and redeem promo codes."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._pool = pool

    async def create(self, code: str, credits: int, uses: int, days: int, admin_id: int) -> None:
        """Make a code worth ``credits``, usable ``uses`` times for ``days`` days; raises PromoExists."""
        if credits <= 0 or uses <= 0 or days <= 0:
            raise ValueError("credits, uses and days must be positive")
        async with self._pool.connection() as conn:
            row = await (await conn.execute(_CREATE, (code, credits, uses, days, admin_id))).fetchone()
        if row is None:
            raise PromoExists(code)

    async def redeem(self, code: str, user_id: int) -> Redeemed:
        """Give the code's credits to the user unless it is unknown, expired, used up or used by them."""
        async with self._pool.connection() as conn, conn.transaction():
            async with conn.cursor(row_factory=dict_row) as cur:
                await cur.execute(_LOCK, (code,))
                promo = await cur.fetchone()
            if promo is None:
                return Redeemed(Redemption.UNKNOWN)
            verdict = await _verdict(conn, promo, user_id)
            if verdict is not Redemption.OK:
                return Redeemed(verdict)
            return await _apply(conn, promo, user_id)


async def _verdict(conn: psycopg.AsyncConnection[Any], promo: dict[str, Any], user_id: int) -> Redemption:
    used = await (
        await conn.execute(
            "SELECT 1 FROM promo_redemptions WHERE code = %s AND user_id = %s", (promo["code"], user_id)
        )
    ).fetchone()
    if used is not None:
        return Redemption.ALREADY_USED
    if promo["expired"]:
        return Redemption.EXPIRED
    if int(promo["uses"]) >= int(promo["max_uses"]):
        return Redemption.EXHAUSTED
    return Redemption.OK


async def _apply(conn: psycopg.AsyncConnection[Any], promo: dict[str, Any], user_id: int) -> Redeemed:
    code, credits = str(promo["code"]), int(promo["credits"])
    await conn.execute("INSERT INTO users (id) VALUES (%s) ON CONFLICT (id) DO NOTHING", (user_id,))
    await conn.execute("INSERT INTO promo_redemptions (code, user_id) VALUES (%s, %s)", (code, user_id))
    await conn.execute("UPDATE promo_codes SET uses = uses + 1 WHERE code = %s", (code,))
    recorded = await record_movement(
        conn,
        user_id=user_id,
        amount=credits,
        kind=MovementKind.GRANT,
        reason=f"promo {code}",
        key=f"promo:{code}:{user_id}",
    )
    return Redeemed(Redemption.OK, credits, recorded.movement.balance_after)
