"""Links the bot serves for a result Telegram would not take: ``PUBLIC_BASE_URL/results/{token}``.

A result over Telegram's upload limit, or refused both as its media type and as a document, still
reaches the user: as a message with a link, valid for a stated time (``LINK_TTL``, well inside the 14
days KIE keeps result files). The token carries KIE's file URL and the expiry, signed with a key
derived from the callback secret (its own label, so neither token can stand for the other); the
webhook checks it without a database and answers a valid one with a redirect to the file, an expired
one with 410 and anything else with 404.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shared.errors import TrtError

__all__ = ["LINK_TTL", "RESULT_PATH", "LinkExpired", "LinkInvalid", "ResultLink", "ResultLinks"]

RESULT_PATH = "/results/{token}"
LINK_TTL = timedelta(days=7)
_LABEL = b"trt result link v1"
_SIGNATURE_BYTES = 16


class LinkInvalid(TrtError):
    """A token this bot did not sign (or altered)."""


class LinkExpired(TrtError):
    """A token this bot signed whose time is up; ``expired_at`` says when."""

    def __init__(self, expired_at: datetime) -> None:
        super().__init__(f"expired at {expired_at.isoformat()}")
        self.expired_at = expired_at


@dataclass(frozen=True, slots=True)
class ResultLink:
    """A link to give the user, and until when it works."""

    url: str
    expires_at: datetime


class ResultLinks:
    """Signs and checks result links for one deployment."""

    def __init__(self, secret: bytes, public_base_url: str, ttl: timedelta = LINK_TTL) -> None:
        self._key = hmac.new(secret, _LABEL, hashlib.sha256).digest()
        self._base = public_base_url.rstrip("/")
        self._ttl = ttl

    def make(self, file_url: str, now: datetime) -> ResultLink:
        """A link to ``file_url`` that works until ``now`` plus the TTL."""
        expires_at = (now + self._ttl).replace(microsecond=0)
        payload = json.dumps({"u": file_url, "e": int(expires_at.timestamp())}, separators=(",", ":"))
        token = f"{_b64(payload.encode())}.{_b64(self._sign(payload.encode()))}"
        return ResultLink(self._base + RESULT_PATH.format(token=token), expires_at)

    def resolve(self, token: str, now: datetime) -> str:
        """The file URL a token stands for; LinkInvalid or LinkExpired otherwise."""
        encoded, _, signature = token.partition(".")
        try:
            payload, given = _unb64(encoded), _unb64(signature)
        except ValueError:  # not base64 at all
            raise LinkInvalid("malformed result link") from None
        if not hmac.compare_digest(given, self._sign(payload)):
            raise LinkInvalid("result link not signed by this bot")
        fields = json.loads(payload)  # signed here, so written by make()
        expires_at = datetime.fromtimestamp(int(fields["e"]), UTC)
        if now >= expires_at:
            raise LinkExpired(expires_at)
        return str(fields["u"])

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
