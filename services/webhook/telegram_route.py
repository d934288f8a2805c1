"""``POST /telegram/webhook``: Telegram's updates, answered 200 only once Redis holds them.

Telegram retries until it gets a 2xx, so every answer here is a promise: 200 means the update is in
the inbox (or was already), 401/400/413 mean it never will be, 503 means "try again".
"""

from __future__ import annotations

import hmac
import json

import structlog
from aiohttp import web
from redis.exceptions import RedisError

from shared import metrics
from shared.inbox import InboxWriter

__all__ = ["INBOX", "SECRET", "SECRET_HEADER", "receive_update"]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
INBOX = web.AppKey("inbox", InboxWriter)
SECRET = web.AppKey("webhook_secret", bytes)

log = structlog.get_logger()

_STORED = b'{"ok":true,"duplicate":false}'
_DUPLICATE = b'{"ok":true,"duplicate":true}'


async def receive_update(request: web.Request) -> web.Response:
    if not _secret_matches(request):
        return _error(401, "missing or wrong secret token")
    try:
        raw = (await request.read()).decode("utf-8")
    except web.HTTPRequestEntityTooLarge:
        return _error(413, "body larger than 1 MiB")
    except UnicodeDecodeError:
        return _error(400, "body is not UTF-8")
    update = _parse(raw)
    if update is None:
        return _error(400, "body must be a JSON object with an integer update_id")
    try:
        accepted = await request.app[INBOX].accept(update, raw)
    except (RedisError, OSError) as exc:
        log.warning("update_not_stored", update_id=update["update_id"], reason=str(exc))
        return _error(503, "storage unavailable, retry later")
    if accepted:
        metrics.UPDATES_RECEIVED.inc()
        return web.Response(body=_STORED, content_type="application/json")
    metrics.UPDATES_DUPLICATE.inc()
    return web.Response(body=_DUPLICATE, content_type="application/json")


def _secret_matches(request: web.Request) -> bool:
    # Bytes that are not UTF-8 arrive as surrogates: they must compare unequal, not raise (a 500).
    given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
    return hmac.compare_digest(given, request.app[SECRET])


def _parse(raw: str) -> dict[str, object] | None:
    try:
        update = json.loads(raw)
    except (ValueError, RecursionError):  # not JSON, a number too long to parse, or nested too deeply
        return None
    if not isinstance(update, dict):
        return None
    update_id = update.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or not 0 <= update_id < 2**63:
        return None
    return update


def _error(status: int, description: str) -> web.Response:
    metrics.UPDATES_REJECTED.labels(str(status)).inc()
    return web.json_response({"ok": False, "description": description}, status=status)
