"""A consumer's dead-letter stream: the entries it gave up on, kept for operators, each with one alert.

A dead letter is the original entry's fields plus ``reason``, ``entry_id`` (its id in the source
stream) and ``stream`` (that stream's name; these three win over fields of the same name), appended
to a stream trimmed to about :data:`DEAD_LETTERS_MAXLEN` entries, so a poison storm cannot fill Redis.
Each one also raises an :class:`~shared.ops.alerts.Alert` of kind ``dead_lettered`` in the alerts
stream (what ``make status`` shows under "recent alerts") and logs an ERROR line. The alert names the
stream, the entry id and the reason; never the entry's fields, which may carry user data.

The consumer acknowledges an entry right after its dead letter was written. A crash between the two
can write the dead letter (and its alert) again when the entry is claimed; it can never lose one.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import redis.asyncio as aioredis
import structlog

from shared.ops.alerts import Alert, AlertKind, AlertLog
from shared.streams.commands import Entry, append

__all__ = ["DEAD_LETTERS_MAXLEN", "DeadLetters", "Origin"]

log = structlog.get_logger()

# Far above what operators would ever read through; bounded so the dead-letter stream stays small.
DEAD_LETTERS_MAXLEN = 10_000


class Origin:
    """Who gives up on entries: the host and the program name the alert carries."""

    def __init__(self, host: str, program: str) -> None:
        self.host = host
        self.program = program

    @classmethod
    def of_consumer(cls, consumer: str) -> Origin:
        """From a consumer name as the programs build it, ``host/ctl_name`` (a bare name has no host)."""
        host, _, program = consumer.rpartition("/")
        return cls(host, program)


class DeadLetters:
    """Writes dead letters of one source stream to its dead-letter stream, alerting once for each."""

    def __init__(
        self,
        redis: aioredis.Redis,
        alerts: AlertLog,
        *,
        stream: str,
        origin: Origin,
        on_dead: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._alerts = alerts
        self._stream = stream
        self._origin = origin
        self._on_dead = on_dead
        self._clock = clock

    @property
    def stream(self) -> str:
        """The dead-letter stream's key."""
        return self._stream

    async def add(self, source: str, entry: Entry, reason: str) -> None:
        """Keep ``entry`` of stream ``source`` with ``reason``, then alert. Raises the client's errors."""
        fields: dict[str, str | bytes] = {key.decode(): value for key, value in entry.fields.items()}
        fields.update(reason=reason, entry_id=entry.entry_id, stream=source)
        await append(self._redis, self._stream, fields, maxlen=DEAD_LETTERS_MAXLEN)
        self._on_dead()
        log.error("stream_entry_dead_lettered", stream=source, entry_id=entry.entry_id, reason=reason)
        await self._alerts.record(self._alert(source, entry.entry_id, reason))

    def _alert(self, source: str, entry_id: str, reason: str) -> Alert:
        return Alert(
            kind=AlertKind.DEAD_LETTERED,
            host=self._origin.host,
            program=self._origin.program,
            at=self._clock(),
            reason=f"{source} entry {entry_id}: {reason}",
        )
