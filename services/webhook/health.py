"""Operational endpoints: ``/health`` (public, minimal, cached), its details, ``/ready``, ``/metrics``.

``/health`` is reachable by anyone behind the example proxies, so it must cost Redis next to nothing:
it reads this host's one heartbeat hash (O(programs), never a scan of the keyspace) and its answer is
cached for a second, so a flood of calls makes at most one Redis read per second. It says only whether
the host's programs are up. The details (pids, uptimes, heartbeat ages, the leader's holder and epoch)
are on ``/health/details``: with ``Authorization: Bearer <HEALTH_TOKEN>`` on the public port, or
without a token on the private metrics port (see :mod:`shared.ops.metrics_server`).
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.exceptions import RedisError

from shared.catalog.pointer import published_version
from shared.heartbeat import read_heartbeats
from shared.lease.backend import read_leader
from shared.ops.health import host_details
from shared.process import Runtime

__all__ = ["RUNTIME", "health", "health_details", "metrics_endpoint", "mount", "ready"]

RUNTIME = web.AppKey("runtime", Runtime)
CACHE_SECONDS = 1.0


@dataclass
class _Cached:
    body: dict[str, object] = field(default_factory=dict)
    status: int = 0
    until: float = 0.0


_CACHE = web.AppKey("health_cache", _Cached)


def mount(app: web.Application, runtime: Runtime) -> None:
    """Serve /health, /health/details, /ready and /metrics from ``app``."""
    app[RUNTIME] = runtime
    app[_CACHE] = _Cached()
    app.router.add_get("/health", health)
    app.router.add_get("/health/details", health_details)
    app.router.add_get("/ready", ready)
    app.router.add_get("/metrics", metrics_endpoint)


async def health(request: web.Request) -> web.Response:
    """200 with each program's state on this host; 503 when Redis cannot be read. Cached 1 s."""
    cache = request.app[_CACHE]
    now = time.monotonic()
    if now >= cache.until:
        cache.body, cache.status = await _summary(request.app[RUNTIME])
        cache.until = now + CACHE_SECONDS
    return web.json_response(cache.body, status=cache.status)


async def _summary(runtime: Runtime) -> tuple[dict[str, object], int]:
    try:
        records = await read_heartbeats(runtime.redis, runtime.keys, runtime.identity.host)
    except (RedisError, OSError):
        return {"status": "redis unavailable"}, 503
    programs = {record.name: {"state": record.state} for record in records}
    up = bool(records) and all(record.state == "running" for record in records)
    return {"status": "ok" if up else "degraded", "programs": programs}, 200


async def health_details(request: web.Request) -> web.Response:
    """Every live process of this host with pid, age and uptime, and the leader; token required."""
    runtime = request.app[RUNTIME]
    if not _authorized(request, runtime):
        return web.json_response({"error": "Authorization: Bearer <HEALTH_TOKEN> required"}, status=401)
    return await details_response(runtime)


async def details_response(runtime: Runtime) -> web.Response:
    """The details body, or 503 when Redis cannot be read."""
    try:
        body = await host_details(runtime.redis, runtime.keys, runtime.identity.host)
    except (RedisError, OSError) as exc:
        return web.json_response({"status": "redis unavailable", "reason": type(exc).__name__}, status=503)
    return web.json_response(body)


def _authorized(request: web.Request, runtime: Runtime) -> bool:
    token = runtime.settings.HEALTH_TOKEN
    if token is None:
        return False
    given = request.headers.get("Authorization", "").encode("utf-8", "surrogateescape")
    expected = f"Bearer {token.get_secret_value()}".encode()
    return hmac.compare_digest(given, expected)


async def ready(request: web.Request) -> web.Response:
    """200 when this host can serve users: Redis and PostgreSQL answer, a leader is known, and a
    catalogue snapshot is in service."""
    runtime = request.app[RUNTIME]
    checks = {"redis": await _redis_ok(runtime), "postgres": await _postgres_ok(runtime)}
    checks["leader"] = checks["redis"] and await _leader_known(runtime)
    checks["catalog"] = checks["redis"] and await _catalog_published(runtime)
    status = 200 if all(checks.values()) else 503
    return web.json_response({"ready": status == 200, "checks": checks}, status=status)


async def metrics_endpoint(request: web.Request) -> web.Response:
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


async def _redis_ok(runtime: Runtime) -> bool:
    try:
        return bool(await runtime.redis.ping())
    except (RedisError, OSError):
        return False


async def _postgres_ok(runtime: Runtime) -> bool:
    if runtime.db is None:
        return False
    try:
        async with runtime.db.connection(timeout=2.0) as conn:
            await conn.execute("SELECT 1")
        return True
    except Exception:  # any failure here means "not ready"; the reason is in the pool's own logs
        return False


async def _leader_known(runtime: Runtime) -> bool:
    leader = await read_leader(runtime.redis, runtime.keys)
    return leader is not None and leader.holder is not None and leader.expires_at > time.time()


async def _catalog_published(runtime: Runtime) -> bool:
    """Whether warmup has a catalogue snapshot in service (the pointer names a stored snapshot)."""
    try:
        return await published_version(runtime.redis, runtime.keys) is not None
    except (RedisError, OSError):
        return False
