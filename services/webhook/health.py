"""``GET /health``: this host's programs, from their heartbeats, and the current leader."""

from __future__ import annotations

import time

from aiohttp import web
from redis.exceptions import RedisError

from shared.heartbeat import read_heartbeats
from shared.lease import read_leader
from shared.process import Runtime

__all__ = ["RUNTIME", "health"]

RUNTIME = web.AppKey("runtime", Runtime)


async def health(request: web.Request) -> web.Response:
    """200 with every live process of this host; 503 when Redis cannot be read."""
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
