"""The callback URL a job gives KIE: `PUBLIC_BASE_URL/kie/callback/{job_id}?t={token}`.

The token is `shared.kie.callback_token(job_id, secret, expires_at)`: an expiry and an HMAC over the
job id and that expiry that only TRT can compute, so the webhook accepts a callback only for a job id
it handed out, and only until the job's deadline plus `KIE_CALLBACK_TOKEN_GRACE_SECONDS` (a leaked URL
cannot be replayed for ever; by then the job is settled in any case). The secret is `KIE_CALLBACK_SECRET`, or,
when that is unset, a key derived from `KIE_API_KEY` (both `webhook` and `jobs` have it), so a
deployment need not configure one more secret.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlencode, urlsplit
from uuid import UUID

from shared.errors import ConfigError
from shared.kie import callback_token
from shared.settings import Settings

__all__ = ["CALLBACK_PATH", "callback_secret", "callback_url", "public_base_url", "require_callback_secret"]

CALLBACK_PATH = "/kie/callback/{job_id}"
_DERIVATION_LABEL = b"trt kie callback token v1"


def callback_secret(settings: Settings) -> bytes | None:
    """The key of callback tokens, or None when neither KIE_CALLBACK_SECRET nor KIE_API_KEY is set."""
    if settings.KIE_CALLBACK_SECRET is not None and settings.KIE_CALLBACK_SECRET.get_secret_value():
        return settings.KIE_CALLBACK_SECRET.get_secret_value().encode()
    api_key = settings.kie_api_key()
    if api_key is None:
        return None
    return hmac.new(api_key.encode(), _DERIVATION_LABEL, hashlib.sha256).digest()


def require_callback_secret(settings: Settings) -> bytes:
    """The callback token key, or ConfigError naming what to set."""
    secret = callback_secret(settings)
    if secret is None:
        raise ConfigError("KIE_API_KEY: required (or KIE_CALLBACK_SECRET) to sign KIE callback URLs")
    return secret


def public_base_url(settings: Settings) -> str:
    """Where KIE reaches the webhook program: PUBLIC_BASE_URL, else the origin of WEBHOOK_URL (the same
    program serves both routes), else its local address (development and the sandbox only: the real
    KIE cannot call that back, and the leader's poller then finds every result).
    """
    if settings.PUBLIC_BASE_URL is not None:
        return settings.PUBLIC_BASE_URL
    if settings.WEBHOOK_URL is not None:
        parts = urlsplit(settings.WEBHOOK_URL)
        return f"{parts.scheme}://{parts.netloc}"
    return f"http://{settings.BIND_HOST}:{settings.PORT}"


def callback_url(public_base_url: str, job_id: UUID, secret: bytes, expires_at: int) -> str:
    """The full callback URL for `job_id`, valid until `expires_at` (Unix seconds)."""
    path = CALLBACK_PATH.format(job_id=job_id)
    query = urlencode({"t": callback_token(str(job_id), secret, expires_at)})
    return f"{public_base_url.rstrip('/')}{path}?{query}"
