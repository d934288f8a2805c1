"""Verification and parsing of the callbacks KIE POSTs to our `callBackUrl` (kie-api.md §2.4, §7).

Two independent checks guard the callback route:

- our own token: the callback URL we give KIE carries `t=callback_token(job_id, key, expires_at)`,
  its expiry and an HMAC-SHA256 hex of the job id with that expiry, so a forged callback cannot name
  a job it did not get from us, and a leaked URL stops working once it expires;
- KIE's signature, when a `webhookHmacKey` is configured: `X-Webhook-Timestamp` (Unix seconds) and
  `X-Webhook-Signature = base64(HMAC-SHA256(key, f"{taskId}.{timestamp}"))`, plus a freshness check
  that rejects replays with a timestamp more than `max_age_seconds` away from now.

Even a verified callback is only a hint: the jobs program confirms it with the family's record call
(§9), so `parse_callback` reads of each family's body (§2.4, §4) only what names the task.
Every comparison is constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass

from shared.kie.errors import KieCallbackError, KieProtocolError, RejectReason
from shared.kie.records import TaskRecord, TaskState, parse_task_record

__all__ = [
    "DEFAULT_MAX_AGE_SECONDS",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "CallbackEvent",
    "callback_token",
    "callback_token_expiry",
    "parse_callback",
    "verify_webhook_signature",
    "webhook_signature",
]

SIGNATURE_HEADER = "X-Webhook-Signature"
TIMESTAMP_HEADER = "X-Webhook-Timestamp"
# KIE does not document a replay window; ±5 minutes is the reference's recommendation (§7).
DEFAULT_MAX_AGE_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class CallbackEvent:
    """A parsed KIE callback of any family: its code, msg and task id, and what else it tells.

    `stage` is Suno's `callbackType` (text, first, complete, error); `record` is the full task record
    that Market callbacks carry. Other families' result fields are not read: the record call is the
    authority, so a callback only says which task to look at.
    """

    code: int
    msg: str
    task_id: str
    stage: str | None = None
    record: TaskRecord | None = None

    @property
    def succeeded(self) -> bool:
        """True when KIE reports a finished success (code 200; Market state success; Suno complete)."""
        if self.code != 200:
            return False
        if self.record is not None:
            return self.record.state is TaskState.SUCCESS
        return self.stage in (None, "complete")

    @property
    def state_hint(self) -> str:
        """KIE's own word for where the task is, for logs: a Market state, a Suno stage or the code."""
        if self.record is not None:
            return self.record.state_raw
        return self.stage or str(self.code)


def _key_bytes(key: str | bytes) -> bytes:
    if not key:
        raise ValueError("HMAC key must not be empty")
    return key.encode() if isinstance(key, str) else key


def callback_token(job_id: str, key: str | bytes, expires_at: int) -> str:
    """The token our callback URL carries for `job_id` until `expires_at` (Unix seconds):
    ``"{expires_at}.{HMAC-SHA256(key, f"{job_id}.{expires_at}") as hex}"``."""
    mac = hmac.new(_key_bytes(key), f"{job_id}.{expires_at}".encode(), hashlib.sha256).hexdigest()
    return f"{expires_at}.{mac}"


def callback_token_expiry(job_id: str, token: str, key: str | bytes) -> int | None:
    """The expiry a genuine token of `job_id` carries (compared in constant time), or None when `token`
    is not one (another job's, another key's, a changed expiry, garbage). Whether it has expired is the
    caller's question."""
    stamp, dot, _ = token.partition(".")
    if not dot or not (stamp.isascii() and stamp.isdigit()) or len(stamp) > 12:
        return None
    expected = callback_token(job_id, key, int(stamp))
    if not hmac.compare_digest(expected.encode(), token.encode("utf-8", "replace")):
        return None
    return int(stamp)


def webhook_signature(task_id: str, timestamp: int | str, key: str | bytes) -> str:
    """KIE's `X-Webhook-Signature` for a task and timestamp: base64(HMAC-SHA256(key, "id.ts"))."""
    message = f"{task_id}.{timestamp}".encode()
    return base64.b64encode(hmac.new(_key_bytes(key), message, hashlib.sha256).digest()).decode()


def verify_webhook_signature(
    *,
    task_id: str,
    timestamp: str | None,
    signature: str | None,
    key: str | bytes,
    max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS,
    now: float | None = None,
) -> None:
    """Check KIE's signature headers for `task_id`; raise `KieCallbackError` saying why not.

    `timestamp` and `signature` are the raw header values (None when absent). A timestamp further
    than `max_age_seconds` from `now` (default: the wall clock) in either direction is stale, even
    with a valid signature, so a captured callback cannot be replayed later.
    """
    if not timestamp or not signature:
        raise KieCallbackError(RejectReason.MISSING_SIGNATURE, "signature headers missing", task_id=task_id)
    raw_stamp = timestamp.strip()
    if not (raw_stamp.isascii() and raw_stamp.isdigit()):
        raise KieCallbackError(RejectReason.MALFORMED, "timestamp is not an integer", task_id=task_id)
    current = time.time() if now is None else now
    if abs(current - int(raw_stamp)) > max_age_seconds:
        raise KieCallbackError(RejectReason.STALE_TIMESTAMP, "timestamp outside the window", task_id=task_id)
    # KIE signs the header text as sent, so the message is built from it verbatim.
    expected = webhook_signature(task_id, raw_stamp, key)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "replace")):
        raise KieCallbackError(RejectReason.BAD_SIGNATURE, "signature does not match", task_id=task_id)


def parse_callback(body: bytes | str | Mapping[str, object]) -> CallbackEvent:
    """Parse a callback body of any family (raw JSON or decoded); raise KieCallbackError.

    The task id is read where the families put it: `data.taskId` (Market, Veo, 4o Image, Flux
    Kontext, Midjourney), `data.task_id` (Suno, Runway) or a top-level `taskId` (Aleph).
    """
    envelope = _decode(body) if isinstance(body, bytes | str) else body
    if not isinstance(envelope, Mapping):
        raise KieCallbackError(RejectReason.MALFORMED, "callback body is not a JSON object")
    code = envelope.get("code")
    if not isinstance(code, int) or isinstance(code, bool):
        raise KieCallbackError(RejectReason.MALFORMED, "callback has no integer code")
    msg = envelope.get("msg", envelope.get("message"))
    data = envelope.get("data")
    data = data if isinstance(data, Mapping) else {}
    task_id = _first_text(
        data.get("taskId"), data.get("task_id"), envelope.get("taskId"), envelope.get("task_id")
    )
    if task_id is None:
        raise KieCallbackError(RejectReason.MALFORMED, "callback names no task id")
    stage = data.get("callbackType")
    return CallbackEvent(
        code=code,
        msg=msg if isinstance(msg, str) else "",
        task_id=task_id,
        stage=stage if isinstance(stage, str) and stage else None,
        record=_market_record(data),
    )


def _market_record(data: Mapping[str, object]) -> TaskRecord | None:
    """The full record a Market callback carries (it has `state`); None for other families."""
    if "state" not in data:
        return None
    try:
        return parse_task_record(data)
    except KieProtocolError as exc:
        raise KieCallbackError(RejectReason.MALFORMED, f"callback data: {exc.message}") from exc


def _first_text(*values: object) -> str | None:
    for value in values:
        if isinstance(value, str) and value:
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return None


def _decode(raw: bytes | str) -> object:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:  # bad JSON or UTF-8, too many digits, too deeply nested
        raise KieCallbackError(RejectReason.MALFORMED, "callback body is not valid JSON") from exc
