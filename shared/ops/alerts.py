"""Operator alerts: what the crash guard saw happen to a program, and where the record is kept.

An :class:`Alert` is one event worth an operator's attention: an unexpected exit, a failed start, a
give-up (FATAL), a crash-guard stop, a program that stopped itself for a wrong setting, a stream
entry a consumer gave up on (dead-lettered), or (recorded by the bot, which also messages the admins
itself) a payment that did not match its invoice. The crash guard (and a consumer, for its dead letters)
writes each one to Redis through :class:`AlertLog`: appended to the ``alerts`` stream (the
durable record), published on the ``alerts`` channel (for live watchers), and, for exits and failed
starts, counted in the host's restart set that ``python -m shared.ops.status`` reads.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import cast

import redis.asyncio as aioredis

from shared.exitcodes import EXIT_CONFIG
from shared.keys import Keys

__all__ = ["CONFIG_EXIT_STATUS", "Alert", "AlertKind", "AlertLog"]

CONFIG_EXIT_STATUS = EXIT_CONFIG
# Bounds on the records: a restart storm must not fill Redis.
ALERTS_MAXLEN = 10_000
RESTARTS_KEEP_SECONDS = 24 * 3600


class AlertKind(StrEnum):
    """What happened to the program."""

    EXITED = "exited"  # exited unexpectedly while RUNNING; supervisord restarts it at once
    FAILED_START = "failed_start"  # exited before startsecs (BACKOFF); supervisord retries it
    FATAL = "fatal"  # supervisord gave up starting it after startretries
    STOPPED = "stopped"  # the crash guard stopped it: too many restarts in the period
    CONFIG_ERROR = "config_error"  # exited with the configuration-error code while RUNNING; not restarted
    DEAD_LETTERED = "dead_lettered"  # a stream consumer gave up on an entry (shared.streams.dead_letter)
    MONEY = "money"  # a payment or settlement that does not add up (forged or underpaid payment, ...)
    PRICE_RAISED = "price_raised"  # KIE charged more than a price asked: raised for new jobs (warmup)

    @property
    def counts_as_restart(self) -> bool:
        """Exits that supervisord answers with a new start: the ones the intensity limit counts."""
        return self in (AlertKind.EXITED, AlertKind.FAILED_START)

    @property
    def gives_up(self) -> bool:
        """The program stays down until an operator starts it again."""
        return self in (AlertKind.FATAL, AlertKind.STOPPED, AlertKind.CONFIG_ERROR)


@dataclass(frozen=True, slots=True)
class Alert:
    """One event about one process (``program`` is its supervisorctl name, e.g. ``bot:bot_01``)."""

    kind: AlertKind
    host: str
    program: str
    at: float
    pid: int | None = None
    exit_status: int | None = None
    restarts: int = 0
    period_s: float = 0.0
    reason: str = ""

    @property
    def config_error(self) -> bool:
        """Whether the program stopped because a setting is wrong (exit status or its own log says so)."""
        return self.exit_status == CONFIG_EXIT_STATUS or self.reason.startswith("configuration error")

    @property
    def notify(self) -> bool:
        """Whether admins are told in Telegram; failed starts are only recorded (their give-up is told)."""
        return self.kind is not AlertKind.FAILED_START

    def with_reason(self, reason: str, exit_status: int | None = None) -> Alert:
        """A copy carrying what was learnt about the exit after the event."""
        status = self.exit_status if exit_status is None else exit_status
        return replace(self, reason=reason, exit_status=status)

    def summary(self) -> str:
        """One line for humans, e.g. ``webhook exited unexpectedly (status 1, pid 42)``."""
        text = f"{self.program}@{self.host} {_WHAT[self.kind]}"
        details = [f"status {self.exit_status}"] if self.exit_status is not None else []
        if self.pid:
            details.append(f"pid {self.pid}")
        if details:
            text += f" ({', '.join(details)})"
        if self.restarts:
            text += f"; {self.restarts} restart(s) in {self.period_s:g} s"
        if self.config_error:
            text += "; not restarted: configuration error"
        reason = self.reason.removeprefix("configuration error").lstrip(": ")
        return f"{text}: {reason}" if reason else text

    def to_json(self) -> str:
        """The pub/sub message and the stream entry's ``alert`` field."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> Alert:
        data = json.loads(raw)
        data["kind"] = AlertKind(data["kind"])
        return cls(**data)


_WHAT = {
    AlertKind.EXITED: "exited unexpectedly and is being restarted",
    AlertKind.FAILED_START: "failed to start (exited before startsecs)",
    AlertKind.FATAL: "gave up: supervisord stopped retrying its start (FATAL)",
    AlertKind.STOPPED: "stopped by the crash guard: it kept crashing",
    AlertKind.CONFIG_ERROR: "exited for a configuration error",
    AlertKind.DEAD_LETTERED: "moved a stream entry to its dead-letter stream",
    AlertKind.MONEY: "money check failed",
    AlertKind.PRICE_RAISED: "raised a price KIE's charges had overtaken",
}


class AlertLog:
    """The alert record in Redis: the ``alerts`` stream and channel, and per-host restart sets."""

    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def record(self, alert: Alert) -> None:
        """Append, publish, and count a restart; one round trip. Raises the client's errors."""
        payload = alert.to_json()
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.xadd(self._keys.alerts, {"alert": payload}, maxlen=ALERTS_MAXLEN, approximate=True)
            pipe.publish(self._keys.alerts, payload)
            if alert.kind.counts_as_restart:
                restarts = self._keys.restarts(alert.host)
                pipe.zadd(restarts, {f"{alert.program}|{alert.at:.6f}|{alert.pid or 0}": alert.at})
                pipe.zremrangebyscore(restarts, "-inf", alert.at - RESTARTS_KEEP_SECONDS)
                pipe.expire(restarts, int(RESTARTS_KEEP_SECONDS * 2))
            await pipe.execute()

    async def restarts_since(self, host: str, since: float) -> dict[str, int]:
        """Restarts per program of ``host`` recorded at or after ``since`` (unix time)."""
        members = await self._redis.zrangebyscore(self._keys.restarts(host), since, "+inf")
        counts: dict[str, int] = {}
        for member in members:
            name = (member.decode() if isinstance(member, bytes) else str(member)).split("|", 1)[0]
            counts[name] = counts.get(name, 0) + 1
        return counts

    async def recent(self, count: int = 20) -> list[Alert]:
        """The latest ``count`` alerts of every host, newest first."""
        rows = cast(
            list[tuple[bytes, dict[bytes, bytes]]],
            await self._redis.xrevrange(self._keys.alerts, count=count),
        )
        return [Alert.from_json(fields[b"alert"]) for _, fields in rows if b"alert" in fields]
