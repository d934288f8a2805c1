"""Heartbeats: each process writes its liveness record to Redis; /health and the CLI read them.

All records of one host live in one hash (field: the supervisorctl name, value: the record as JSON with
its own expiry), so reading a host costs one HGETALL whatever else Redis holds: never a SCAN of the
keyspace. A record past its expiry is a dead process: readers skip it (and delete it). The hash itself
expires a few intervals after the host's last beat, so a dead host disappears on its own; the hosts
set forgets a host a day after its last beat.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import cast

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from shared.aio import first_of
from shared.identity import ProcessIdentity
from shared.keys import Keys

__all__ = ["Heartbeat", "HeartbeatRecord", "ProcessState", "read_heartbeats"]

log = structlog.get_logger()

# A host that has not beaten for a day leaves the hosts set (its hash expired long before).
_HOST_MEMORY_SECONDS = 86_400


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
    expires: float = float("inf")

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
        self._key = keys.heartbeats(identity.host)
        self._hosts = keys.hosts
        self._identity = identity
        self._interval = interval
        self._ttl_ms = int(max(interval * 3, 5.0) * 1000)
        self._started = time.time()
        self._changed = asyncio.Event()
        self.state = ProcessState.STARTING

    def set_state(self, state: ProcessState) -> None:
        """Change the state; it is published at once, not at the next interval."""
        self.state = state
        self._changed.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Beat every interval and at every state change until ``stop``; a failed beat is retried."""
        while not stop.is_set():
            self._changed.clear()
            await self.beat()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(first_of(stop.wait(), self._changed.wait()), self._interval)

    async def beat(self) -> None:
        now = time.time()
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(self._key, self._identity.ctl_name, self._record(now))
                pipe.pexpire(self._key, self._ttl_ms)
                pipe.zadd(self._hosts, {self._identity.host: now})
                pipe.zremrangebyscore(self._hosts, "-inf", now - _HOST_MEMORY_SECONDS)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("heartbeat_failed", reason=str(exc))

    def _record(self, now: float) -> str:
        fields: Mapping[str, object] = {
            "name": self._identity.ctl_name,
            "program": self._identity.program,
            "host": self._identity.host,
            "pid": self._identity.pid,
            "started": self._started,
            "beat": now,
            "state": self.state.value,
            "expires": now + self._ttl_ms / 1000,
        }
        return json.dumps(fields)

    async def clear(self) -> None:
        """Remove this process's record on a clean stop, so nobody mistakes it for a live one."""
        try:
            await self._redis.hdel(self._key, self._identity.ctl_name)
        except (RedisError, OSError) as exc:
            log.info("heartbeat_clear_skipped", reason=str(exc))


async def read_heartbeats(redis: aioredis.Redis, keys: Keys, host: str = "*") -> list[HeartbeatRecord]:
    """Every live heartbeat of ``host`` (or of every known host), sorted by host and name.

    One HGETALL per host: the cost follows the number of processes, not the size of the keyspace.
    """
    hosts = [host]
    if host == "*":
        hosts = [_text(h) for h in cast(list[bytes], await redis.zrange(keys.hosts, 0, -1))]
    if not hosts:
        return []
    async with redis.pipeline(transaction=False) as pipe:
        for name in hosts:
            pipe.hgetall(keys.heartbeats(name))
        rows = await pipe.execute()
    now = time.time()
    records: list[HeartbeatRecord] = []
    for name, row in zip(hosts, rows, strict=True):
        live, dead = _split(row, now)
        records.extend(live)
        if dead:
            await redis.hdel(keys.heartbeats(name), *dead)
    return sorted(records, key=lambda r: (r.host, r.name))


def _split(row: dict[bytes, bytes], now: float) -> tuple[list[HeartbeatRecord], list[bytes]]:
    """The live records of one host's hash, and the fields of the dead ones."""
    live: list[HeartbeatRecord] = []
    dead: list[bytes] = []
    for field, value in row.items():
        record = _record(value)
        if record is None or record.expires < now:
            dead.append(field)
        else:
            live.append(record)
    return live, dead


def _record(value: bytes) -> HeartbeatRecord | None:
    try:
        fields = json.loads(value)
        return HeartbeatRecord(
            name=str(fields["name"]),
            program=str(fields["program"]),
            host=str(fields["host"]),
            pid=int(fields["pid"]),
            started=float(fields["started"]),
            beat=float(fields["beat"]),
            state=str(fields["state"]),
            expires=float(fields["expires"]),
        )
    except (ValueError, KeyError, TypeError):
        return None


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
