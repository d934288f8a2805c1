"""``POST /kie/callback/{job_id}?t=TOKEN``: KIE's task callbacks, appended to the callback stream.

Checks, cheapest first, each answered with a 4xx that changes nothing:

1. the job id is a UUID and `t` is its callback token (constant-time compare)        → 404 / 401
2. the body is a KIE callback envelope (bounded by the app's body limit)              → 400 / 413
3. with `KIE_WEBHOOK_HMAC_KEY`: `X-Webhook-Signature` over the body's taskId and a
   fresh `X-Webhook-Timestamp` (shared.kie.verify_webhook_signature)                  → 401
4. the job exists and, if it already has a task id, the callback names the same task  → 404 / 409

Then the callback is appended to the stream and 200 is answered only after Redis took it; a Redis
failure answers 503 so KIE retries.

Two genuine callbacks are answered 200 (what KIE expects, so it stops retrying) and change nothing:
one whose token has expired (checked right after the token itself), and one for a job already settled
(a replay, or KIE repeating itself). Either way nothing is appended, so replaying a leaked URL cannot
grow the stream. A duplicate for a job still running is appended: the `jobs` program settles a job
once, and checking here would only race with it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiohttp import web
from psycopg_pool import AsyncConnectionPool
from redis.exceptions import RedisError

from shared import streams
from shared.jobs import JobState
from shared.jobs.callback_entry import CallbackEntry
from shared.jobs.callback_url import callback_secret
from shared.keys import Keys
from shared.kie import KieCallbackError, callback_token_expiry, parse_callback, verify_webhook_signature
from shared.kie.callback import SIGNATURE_HEADER, TIMESTAMP_HEADER, CallbackEvent
from shared.process import Runtime

__all__ = ["CALLBACKS", "CallbackRoute", "mount", "register"]

log = structlog.get_logger()


@dataclass(frozen=True, slots=True)
class CallbackRoute:
    """What the route needs: the token key, KIE's HMAC key (optional), Redis and the job table."""

    token_key: bytes
    hmac_key: bytes | None
    keys: Keys
    redis: Any
    db: AsyncConnectionPool[Any]
    max_age_seconds: float = 300.0
    clock: Callable[[], float] = field(default=time.time)


CALLBACKS = web.AppKey("kie_callbacks", CallbackRoute)


def mount(app: web.Application, runtime: Runtime) -> None:
    """Mount the callback route when a callback token key is configured (and a database is open)."""
    token_key = callback_secret(runtime.settings)
    if token_key is None or runtime.db is None:
        log.info("kie_callback_route_off", reason="no KIE_API_KEY / KIE_CALLBACK_SECRET or no database")
        return
    hmac_key = runtime.settings.KIE_WEBHOOK_HMAC_KEY
    route = CallbackRoute(
        token_key=token_key,
        hmac_key=hmac_key.get_secret_value().encode() if hmac_key is not None else None,
        keys=runtime.keys,
        redis=runtime.redis,
        db=runtime.db,
    )
    register(app, route)


def register(app: web.Application, route: CallbackRoute) -> None:
    """Mount the callback route on `app`."""
    app[CALLBACKS] = route
    app.router.add_post("/kie/callback/{job_id}", receive_callback)


async def receive_callback(request: web.Request) -> web.Response:
    """Verify one KIE callback and append it to the callback stream."""
    route = request.app[CALLBACKS]
    job_id = _job_id(request.match_info["job_id"])
    if job_id is None:
        return _error(404, "unknown job")
    expires_at = callback_token_expiry(str(job_id), request.query.get("t", ""), route.token_key)
    if expires_at is None:
        return _reject(401, "bad token", job_id)
    if expires_at < route.clock():
        return _ignore("kie_callback_token_expired", job_id)
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _reject(413, "body too large", job_id)
    try:
        event = parse_callback(raw)
        if route.hmac_key is not None:
            verify_webhook_signature(
                task_id=event.task_id,
                timestamp=request.headers.get(TIMESTAMP_HEADER),
                signature=request.headers.get(SIGNATURE_HEADER),
                key=route.hmac_key,
                max_age_seconds=route.max_age_seconds,
            )
    except KieCallbackError as exc:
        status = 400 if exc.reason.value == "malformed" else 401
        return _reject(status, exc.reason.value, job_id)
    return await _accept(route, job_id, event, raw)


async def _accept(route: CallbackRoute, job_id: uuid.UUID, event: CallbackEvent, raw: bytes) -> web.Response:
    try:
        known = await _known_task(route.db, job_id)
    except Exception as exc:  # any database failure: KIE must retry later, nothing was stored
        log.warning("kie_callback_db_unavailable", job_id=str(job_id), reason=type(exc).__name__)
        return _error(503, "storage unavailable, retry later")
    if known is None:
        return _reject(404, "unknown job", job_id)
    task_id, state = known
    if task_id and task_id != event.task_id:
        return _reject(409, "task does not belong to this job", job_id)
    if state.is_terminal:
        return _ignore("kie_callback_after_settlement", job_id)
    entry = CallbackEntry("", job_id, event.task_id, raw.decode("utf-8", "replace"), time.time())
    try:
        await streams.append(route.redis, route.keys.kie_callbacks, entry.to_fields())
    except (RedisError, OSError) as exc:
        log.warning("kie_callback_not_stored", job_id=str(job_id), reason=str(exc))
        return _error(503, "storage unavailable, retry later")
    log.info("kie_callback_accepted", job_id=str(job_id), task_id=event.task_id, state=event.state_hint)
    return _success()


async def _known_task(db: AsyncConnectionPool[Any], job_id: uuid.UUID) -> tuple[str, JobState] | None:
    """The job's task id ("" while it has none) and state, or None when no such job exists."""
    query = "SELECT kie_task_id, state FROM jobs WHERE id = %s"
    async with db.connection() as conn:
        row = await (await conn.execute(query, (job_id,))).fetchone()
    if row is None:
        return None
    return (str(row[0]) if row[0] else ""), JobState(row[1])


def _success() -> web.Response:
    """KIE's expected answer to a callback it need not send again."""
    return web.json_response({"code": 200, "msg": "success"})


def _ignore(event: str, job_id: uuid.UUID) -> web.Response:
    """Answer a genuine callback that must change nothing as KIE expects, and say so in the log."""
    log.info(event, job_id=str(job_id))
    return _success()


def _job_id(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


def _reject(status: int, why: str, job_id: uuid.UUID) -> web.Response:
    log.warning("kie_callback_rejected", status=status, reason=why, job_id=str(job_id))
    return _error(status, why)


def _error(status: int, description: str) -> web.Response:
    return web.json_response({"code": status, "msg": description}, status=status)
