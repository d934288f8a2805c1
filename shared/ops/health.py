"""The details of one host's health: every live process (pid, state, ages) and the leader.

Served by the webhook's ``/health/details`` (behind ``HEALTH_TOKEN``) and by every process's private
metrics port. It costs one heartbeat hash and the leader key, never a scan of the keyspace.
"""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from shared.heartbeat import read_heartbeats
from shared.keys import Keys
from shared.lease.backend import read_leader

__all__ = ["host_details"]


async def host_details(redis: aioredis.Redis, keys: Keys, host: str) -> dict[str, object]:
    """``{"host", "programs": {name: {pid, state, program, ages}}, "leader"}`` for ``host``."""
    records = await read_heartbeats(redis, keys, host)
    leader = await read_leader(redis, keys)
    now = time.time()
    return {
        "host": host,
        "programs": {record.name: record.as_health(now) for record in records},
        "leader": leader.as_health(now) if leader else None,
    }
