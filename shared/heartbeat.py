"""Heartbeats: each process writes its liveness record to Redis; /health and the CLI read them.

A record is a hash that expires a few intervals after the last beat, so a dead process disappears on
its own and a restarted one simply overwrites its slot.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError
from redis.typing import EncodableT, FieldT

from shared.aio import wait_stopped
from shared.identity import ProcessIdentity
from shared.keys import Keys

__all__ = ["Heartbeat", "HeartbeatRecord", "ProcessState", "read_heartbeats"]

log = structlog.get_logger()


class ProcessState(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    DEGRADED = "degraded"
    STOPPING = "stopping"


@dataclass(frozen=True, slots=True)
class HeartbeatRecord:
    name: str
    program: str
    host: str
    pid: int
    started: float
    beat: float
    state: str

    def age(self, now: float) -> float:
        return max(0.0, now - self.beat)

    def as_health(self, now: float) -> dict[str, object]:
        return {
            "pid": self.pid,
            "state": self.state,
            "program": self.program,
            "heartbeat_age_s": round(self.age(now), 3),
            "uptime_s": round(max(0.0, now - self.started), 1),
        }


class Heartbeat:
    """Beats every ``interval`` seconds until stopped; the state can change at any time."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, identity: ProcessIdentity, interval: float) -> None:
        self._redis = redis
        self._key = keys.heartbeat(identity.host, identity.ctl_name)
        self._hosts = keys.hosts
        self._identity = identity
        self._interval = interval
        self._ttl_ms = int(max(interval * 3, 5.0) * 1000)
        self._started = time.time()
        self.state = ProcessState.STARTING

    async def run(self, stop: asyncio.Event) -> None:
        """Beat until ``stop`` is set; a failed beat is logged and retried on the next interval."""
        while not stop.is_set():
            await self.beat()
            await wait_stopped(stop, self._interval)

    async def beat(self) -> None:
        now = time.time()
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(self._key, mapping=self._fields(now))
                pipe.pexpire(self._key, self._ttl_ms)
                pipe.zadd(self._hosts, {self._identity.host: now})
                await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("heartbeat_failed", reason=str(exc))

    def _fields(self, now: float) -> Mapping[FieldT, EncodableT]:
        return {
            "name": self._identity.ctl_name,
            "program": self._identity.program,
            "host": self._identity.host,
            "pid": self._identity.pid,
            "started": self._started,
            "beat": now,
            "state": self.state.value,
        }

    async def clear(self) -> None:
        """Remove this process's record on a clean stop, so nobody mistakes it for a live one."""
        try:
            await self._redis.delete(self._key)
        except (RedisError, OSError) as exc:
            log.info("heartbeat_clear_skipped", reason=str(exc))


async def read_heartbeats(redis: aioredis.Redis, keys: Keys, host: str = "*") -> list[HeartbeatRecord]:
    """Every live heartbeat of ``host`` (or of all hosts), sorted by host and name."""
    names = [key async for key in redis.scan_iter(match=keys.heartbeat_pattern(host), count=500)]
    if not names:
        return []
    async with redis.pipeline(transaction=False) as pipe:
        for key in names:
            pipe.hgetall(key)
        rows = await pipe.execute()
    records = [_record(row) for row in rows if row]
    return sorted(records, key=lambda r: (r.host, r.name))


def _record(row: dict[bytes, bytes]) -> HeartbeatRecord:
    fields = {k.decode(): v.decode() for k, v in row.items()}
    return HeartbeatRecord(
        name=fields["name"],
        program=fields["program"],
        host=fields["host"],
        pid=int(fields["pid"]),
        started=float(fields["started"]),
        beat=float(fields["beat"]),
        state=fields["state"],
    )
