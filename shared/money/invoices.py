"""Invoice payloads the bot signs, and the check of what Telegram reports was paid against them.

A Stars invoice carries ``pack:<credits>:<stars>:<signature>``: the pack and the price it was offered
at, and an HMAC-SHA256 (key ``PAYMENT_PAYLOAD_SECRET``) over them and the buyer's user id. Telegram
returns the payload untouched in ``pre_checkout_query`` and ``successful_payment``; a payload the bot
did not sign, one signed for another user, or an amount or currency other than the signed price is
a mismatch: nothing is credited and the admins are alerted. Without ``PAYMENT_PAYLOAD_SECRET`` the
key is derived from the bot token (stable across restarts and workers, never sent anywhere).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from shared.money.packs import CreditPack

if TYPE_CHECKING:  # shared.settings imports shared.money.packs: no import cycle at run time
    from shared.settings import Settings

__all__ = ["STARS", "InvoiceSigner", "Mismatch", "payload_key"]

STARS = "XTR"
_PREFIX = "pack"
_SIGNATURE_BYTES = 16  # 128 bits: far beyond guessing, and the payload stays well under 128 bytes


class Mismatch(StrEnum):
    """Why a payment does not match the invoice it claims (a catalog key suffix for the user)."""

    FORGED = "forged"  # not signed by this bot for this user
    WRONG_AMOUNT = "wrong_amount"  # currency is not XTR or the amount is not the signed price


@dataclass(frozen=True, slots=True)
class InvoiceSigner:
    """Signs and checks invoice payloads with one key."""

    key: bytes

    def payload(self, pack: CreditPack, user_id: int) -> str:
        """The payload of ``pack``'s invoice for ``user_id``."""
        return f"{_PREFIX}:{pack.credits}:{pack.stars}:{self._sign(pack, user_id)}"

    def offered(self, payload: str, user_id: int) -> CreditPack | None:
        """The pack (at the offered price) ``payload`` was signed for, for this user; None if it was not."""
        parts = payload.split(":")
        if len(parts) != 4 or parts[0] != _PREFIX or not (parts[1].isdigit() and parts[2].isdigit()):
            return None
        pack = CreditPack(int(parts[1]), int(parts[2]))
        return pack if hmac.compare_digest(parts[3], self._sign(pack, user_id)) else None

    def check(self, payload: str, user_id: int, currency: str, total: int) -> CreditPack | Mismatch:
        """The pack paid for, or why the payment does not match its signed invoice."""
        pack = self.offered(payload, user_id)
        if pack is None:
            return Mismatch.FORGED
        if currency != STARS or total != pack.stars:
            return Mismatch.WRONG_AMOUNT
        return pack

    def _sign(self, pack: CreditPack, user_id: int) -> str:
        message = f"{user_id}:{_PREFIX}:{pack.credits}:{pack.stars}".encode()
        digest = hmac.new(self.key, message, hashlib.sha256).digest()[:_SIGNATURE_BYTES]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def payload_key(settings: Settings) -> bytes:
    """PAYMENT_PAYLOAD_SECRET, or a key derived from the bot token when it is not set."""
    if settings.PAYMENT_PAYLOAD_SECRET is not None and settings.PAYMENT_PAYLOAD_SECRET.get_secret_value():
        return settings.PAYMENT_PAYLOAD_SECRET.get_secret_value().encode()
    token = settings.require_telegram().get_secret_value().encode()
    return hmac.new(token, b"trt invoice payloads", hashlib.sha256).digest()
