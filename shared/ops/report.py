"""Everything the status command shows, gathered once: programs of every host, leader, inbox, jobs, KIE.

This host's programs come from its supervisord (state, pid, uptime), other hosts' from their heartbeats
in Redis. Each row also gets its heartbeat age and its restarts in the last hour (the crash guard's
records). Parts that cannot be read (supervisord not running, no ``jobs`` table yet, no balance
published) are None and shown as ``n/a``; only Redis is required.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, cast

import psycopg
import redis.asyncio as aioredis
import structlog

from shared.heartbeat import HeartbeatRecord, read_heartbeats
from shared.keys import Keys
from shared.kie.balance import KieBalance, read_balance
from shared.lease.backend import LeaderInfo, read_leader
from shared.ops.alerts import Alert, AlertLog
from shared.ops.inbox_probe import InboxLoad, read_inbox
from shared.ops.supervisor import ProcessInfo, SupervisorClient, SupervisorUnavailable

__all__ = ["KieBalance", "ProgramRow", "StatusReport", "collect"]

log = structlog.get_logger()

_HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class ProgramRow:
    """One process of one host."""

    host: str
    name: str
    state: str
    pid: int | None
    uptime_s: float | None
    heartbeat_age_s: float | None
    restarts_1h: int
    source: str  # "supervisord" (this host) or "heartbeat" (another host)


@dataclass(slots=True)
class StatusReport:
    """The whole picture at ``at`` (unix time), seen from ``host``."""

    host: str
    at: float
    programs: list[ProgramRow] = field(default_factory=list)
    supervisor_error: str | None = None
    leader: LeaderInfo | None = None
    inbox: InboxLoad | None = None
    jobs: dict[str, int] | None = None
    kie: KieBalance | None = None
    alerts: list[Alert] = field(default_factory=list)
    host_beats: dict[str, float] = field(default_factory=dict)


async def collect(
    redis: aioredis.Redis,
    keys: Keys,
    host: str,
    supervisor: SupervisorClient | None,
    database_url: str | None,
) -> StatusReport:
    """Gather a :class:`StatusReport`. Raises the Redis client's errors: without Redis there is no report."""
    report = StatusReport(host=host, at=time.time())
    local: list[ProcessInfo] = []
    if supervisor is not None:
        try:
            local = await supervisor.all_processes()
        except SupervisorUnavailable as exc:
            report.supervisor_error = str(exc)
    beats = await read_heartbeats(redis, keys)
    host_beats = cast(list[tuple[bytes, float]], await redis.zrange(keys.hosts, 0, -1, withscores=True))
    report.host_beats = {_text(host_id): float(at) for host_id, at in host_beats}
    report.programs = await _rows(redis, keys, host, local, beats, report.at)
    report.leader = await read_leader(redis, keys)
    report.inbox = await read_inbox(redis, keys, now=report.at)
    report.kie = await read_balance(redis, keys, report.at)
    report.alerts = await AlertLog(redis, keys).recent(10)
    report.jobs = await _jobs_by_state(database_url) if database_url else None
    return report


async def _rows(
    redis: aioredis.Redis,
    keys: Keys,
    host: str,
    local: list[ProcessInfo],
    beats: list[HeartbeatRecord],
    now: float,
) -> list[ProgramRow]:
    by_key = {(beat.host, beat.name): beat for beat in beats}
    hosts = sorted({host, *(beat.host for beat in beats)})
    alerts = AlertLog(redis, keys)
    restarts = {h: await alerts.restarts_since(h, now - _HOUR) for h in hosts}
    rows = [
        _local_row(host, info, by_key.pop((host, info.name), None), restarts[host], now) for info in local
    ]
    for (beat_host, name), beat in sorted(by_key.items()):
        if beat_host == host and local:
            # A heartbeat of a process supervisord no longer runs here: its key has not expired yet.
            continue
        rows.append(_remote_row(beat, restarts[beat_host].get(name, 0), now))
    return sorted(rows, key=lambda row: (row.host != host, row.host, row.name))


def _local_row(
    host: str, info: ProcessInfo, beat: HeartbeatRecord | None, restarts: dict[str, int], now: float
) -> ProgramRow:
    return ProgramRow(
        host=host,
        name=info.name,
        state=info.state,
        pid=info.pid or None,
        uptime_s=info.uptime_s,
        heartbeat_age_s=None if beat is None else beat.age(now),
        restarts_1h=restarts.get(info.name, 0),
        source="supervisord",
    )


def _remote_row(beat: HeartbeatRecord, restarts: int, now: float) -> ProgramRow:
    return ProgramRow(
        host=beat.host,
        name=beat.name,
        state=beat.state.upper(),
        pid=beat.pid,
        uptime_s=max(0.0, now - beat.started),
        heartbeat_age_s=beat.age(now),
        restarts_1h=restarts,
        source="heartbeat",
    )


async def _jobs_by_state(database_url: str) -> dict[str, int] | None:
    """Jobs per state, or None while there is no ``jobs`` table (or PostgreSQL does not answer)."""
    try:
        async with await psycopg.AsyncConnection.connect(database_url, connect_timeout=3) as conn:
            found = await (await conn.execute("SELECT to_regclass('jobs') IS NOT NULL")).fetchone()
            if not found or not found[0]:
                return None
            cursor = await conn.execute("SELECT state::text, count(*) FROM jobs GROUP BY 1 ORDER BY 1")
            rows: list[Any] = await cursor.fetchall()
    except psycopg.Error as exc:
        log.info("jobs_unreadable", reason=str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return None
    return {str(state): int(count) for state, count in rows}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
