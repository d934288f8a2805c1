"""Writing alerts to Redis without ever blocking or failing the listener.

Each write is bounded by a short timeout. While Redis is down, alerts wait in a bounded backlog (the
oldest are dropped first, with a warning) and are written in order once it answers again.
"""

from __future__ import annotations

import asyncio
from collections import deque

import structlog
from redis.exceptions import RedisError

from shared.ops.alerts import Alert, AlertLog

__all__ = ["AlertRecorder"]

log = structlog.get_logger()


class AlertRecorder:
    """Records alerts through an :class:`AlertLog`, keeping up to ``capacity`` unwritten ones."""

    def __init__(self, alert_log: AlertLog, timeout: float = 2.0, capacity: int = 1000) -> None:
        self._log = alert_log
        self._timeout = timeout
        self._backlog: deque[Alert] = deque(maxlen=capacity)
        self._failing = False

    @property
    def pending(self) -> int:
        """Alerts not yet written."""
        return len(self._backlog)

    async def record(self, alert: Alert) -> bool:
        """Queue ``alert`` and write everything queued; True when nothing is left waiting."""
        if len(self._backlog) == self._backlog.maxlen:
            log.warning("alert_backlog_full", dropped=self._backlog[0].summary())
        self._backlog.append(alert)
        return await self.flush()

    async def flush(self) -> bool:
        """Write queued alerts in order until one fails; True when the backlog is empty."""
        while self._backlog:
            try:
                await asyncio.wait_for(self._log.record(self._backlog[0]), self._timeout)
            except (RedisError, OSError, TimeoutError) as exc:
                if not self._failing:
                    log.warning("alert_record_failed", reason=str(exc) or type(exc).__name__)
                self._failing = True
                return False
            self._backlog.popleft()
        if self._failing:
            log.info("alert_record_recovered")
        self._failing = False
        return True
