"""Operational endpoints: ``/health`` (liveness of this host's programs), ``/ready``, ``/metrics``."""

from __future__ import annotations

import time

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.exceptions import RedisError

from shared.catalog.store import SnapshotStore
from shared.heartbeat import read_heartbeats
from shared.lease.backend import read_leader
from shared.process import Runtime

__all__ = ["RUNTIME", "health", "metrics_endpoint", "ready"]

RUNTIME = web.AppKey("runtime", Runtime)


async def health(request: web.Request) -> web.Response:
    """200 with every live process of this host and the leader; 503 when Redis cannot be read."""
    runtime = request.app[RUNTIME]
    try:
        records = await read_heartbeats(runtime.redis, runtime.keys, runtime.identity.host)
        leader = await read_leader(runtime.redis, runtime.keys)
    except (RedisError, OSError) as exc:
        return web.json_response({"status": "redis unavailable", "reason": str(exc)}, status=503)
    now = time.time()
    body = {
        "host": runtime.identity.host,
        "programs": {record.name: record.as_health(now) for record in records},
        "leader": leader.as_health(now) if leader else None,
    }
    return web.json_response(body)


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
        return await SnapshotStore(runtime.redis, runtime.keys).published_version() is not None
    except (RedisError, OSError):
        return False
