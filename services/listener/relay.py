"""Dead letters and raised prices recorded on this host, relayed to the admins with the crash guard's own.

A stream consumer that gives up on an entry records a ``dead_lettered`` alert in the alerts stream
(:mod:`shared.streams.dead_letter`), and the warmup leader a ``price_raised`` one when KIE's charges
overtook a price (:mod:`services.warmup.costs`); neither has a way to message anyone. The crash guard
of the same host follows the stream from the moment it starts and hands those alerts to its batcher,
so each one reaches the admins once: every host relays only its own. Alerts the crash guard wrote
itself, and the money alerts the bot already sends, are not relayed again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import cast

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from shared.aio import unless_stopped, wait_stopped
from shared.keys import Keys
from shared.ops.alerts import Alert, AlertKind

__all__ = ["RELAYED", "AlertRelay"]

log = structlog.get_logger()

RELAYED = frozenset({AlertKind.DEAD_LETTERED, AlertKind.PRICE_RAISED})
"""Kinds written by other programs that only the crash guard can bring to the admins."""

_Rows = list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]]


class AlertRelay:
    """Follows the alerts stream and passes this host's :data:`RELAYED` alerts to ``deliver``."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, host: str, block_ms: int = 1000) -> None:
        self._redis = redis
        self._stream = keys.alerts
        self._host = host
        self._block_ms = block_ms

    async def run(self, stop: asyncio.Event, deliver: Callable[[Alert], None]) -> None:
        """From the stream's end at start until ``stop``; a Redis failure is logged and retried."""
        last: str | None = None
        while not stop.is_set():
            try:
                if last is None:
                    last = await self._latest_id()
                read = self._redis.xread({self._stream: last}, count=100, block=self._block_ms)
                rows = cast(_Rows | None, await unless_stopped(read, stop)) or []
            except (RedisError, OSError) as exc:
                log.warning("alert_relay_read_failed", reason=str(exc))
                await wait_stopped(stop, 1.0)
                continue
            for _, entries in rows:
                for entry_id, fields in entries:
                    last = entry_id.decode()
                    alert = self._relayed(fields)
                    if alert is not None:
                        deliver(alert)

    async def _latest_id(self) -> str:
        newest = cast(list[tuple[bytes, object]], await self._redis.xrevrange(self._stream, count=1))
        return newest[0][0].decode() if newest else "0-0"

    def _relayed(self, fields: dict[bytes, bytes]) -> Alert | None:
        try:
            alert = Alert.from_json(fields[b"alert"])
        except (KeyError, ValueError, TypeError):  # not an alert this version can read: skip it
            return None
        return alert if alert.kind in RELAYED and alert.host == self._host else None
