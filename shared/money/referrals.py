"""Referrals: ``/start ref_<code>`` records who brought a user, once; the first purchase pays both.

A user's code is their Telegram id in base 36 (nothing to store, nothing to guess beyond ids).
The referrer is recorded only for a user who has not paid yet and has no referrer, never to
themselves and never to someone they referred. The bonus is paid inside the transaction that
credits the referred user's first payment: ``referral_paid_at`` is set once, and the two ledger rows
carry the keys ``referral:<user>:new`` and ``referral:<user>:referrer``.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from shared.ledger import MovementKind, record_movement

__all__ = ["Referrals", "decode_code", "encode_code", "pay_referral_bonus"]

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
PAYLOAD_PREFIX = "ref_"

_RECORD = """
UPDATE users AS u SET referrer_id = %(referrer)s
WHERE u.id = %(user)s AND u.referrer_id IS NULL AND u.id <> %(referrer)s
  AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.user_id = u.id)
  AND EXISTS (SELECT 1 FROM users r WHERE r.id = %(referrer)s AND r.referrer_id IS DISTINCT FROM u.id)
RETURNING u.id
"""
_CLAIM_BONUS = """
UPDATE users SET referral_paid_at = now()
WHERE id = %s AND referrer_id IS NOT NULL AND referral_paid_at IS NULL
RETURNING referrer_id
"""


def encode_code(user_id: int) -> str:
    """The referral code of ``user_id``: its id in base 36."""
    number, digits = user_id, ""
    while True:
        number, rest = divmod(number, 36)
        digits = _DIGITS[rest] + digits
        if number == 0:
            return digits


def decode_code(payload: str) -> int | None:
    """The referrer's id from a ``/start`` payload ``ref_<code>``, or None when it is not one."""
    if not payload.startswith(PAYLOAD_PREFIX):
        return None
    code = payload[len(PAYLOAD_PREFIX) :].lower()
    if not code or len(code) > 13 or any(ch not in _DIGITS for ch in code):
        return None
    return int(code, 36)


async def pay_referral_bonus(conn: psycopg.AsyncConnection[Any], user_id: int, bonus: int) -> int | None:
    """Inside a payment's transaction: pay ``bonus`` to the user and their referrer, once; the referrer."""
    row = await (await conn.execute(_CLAIM_BONUS, (user_id,))).fetchone()
    if row is None:
        return None
    referrer = int(row[0])
    for who, side in ((user_id, "new"), (referrer, "referrer")):
        await record_movement(
            conn,
            user_id=who,
            amount=bonus,
            kind=MovementKind.REFERRAL,
            reason=f"referral {user_id}",
            key=f"referral:{user_id}:{side}",
        )
    return referrer


class Referrals:
    """Records referrers."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._pool = pool

    async def record(self, user_id: int, referrer_id: int) -> bool:
        """Set the user's referrer unless refused (see the module docstring); True when it was set."""
        async with self._pool.connection() as conn:
            params = {"user": user_id, "referrer": referrer_id}
            row = await (await conn.execute(_RECORD, params)).fetchone()
        return row is not None
