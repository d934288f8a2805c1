"""The leader's watch over the KIE account balance: a gauge always, an alert below the threshold.

Every ``interval`` seconds the leader reads the credit balance (``GET /api/v1/chat/credit``), publishes
it where ``/admin`` and ``make status`` read it (``shared.kie.balance``) and sets ``trt_kie_credits``.
Below ``KIE_LOW_BALANCE_CREDITS`` it raises an alert: an ERROR log line, an entry in the ``alerts``
stream and ``trt_kie_credits_low`` = 1. It alerts when the balance first drops
below the threshold and again every ``repeat_seconds`` while it stays there, not on every reading; a
new leader term starts fresh, so a leader change may repeat one alert.

Stream entries carry ``kind=kie_low_balance`` and flat fields (``credits``, ``threshold``, ``summary``),
without the ``alert`` field that the crash guard's records (``shared.ops.alerts``) use, so readers of
those records skip them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Protocol, cast

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from shared.keys import Keys
from shared.kie.balance import publish_balance
from shared.kie.errors import KieError
from shared.metrics import ALERTS, KIE_CREDITS, KIE_CREDITS_LOW
from shared.ops.alerts import ALERTS_MAXLEN

__all__ = ["LOW_BALANCE_KIND", "BalanceWatch", "CreditSource"]

log = structlog.get_logger()

LOW_BALANCE_KIND = "kie_low_balance"


class CreditSource(Protocol):
    """Reads the account balance (``shared.kie.KieClient``)."""

    async def credit_balance(self) -> int | float:
        """Remaining credits."""
        ...


class BalanceWatch:
    """A leader duty (``run(epoch)``) reading the balance every ``interval`` seconds."""

    def __init__(
        self,
        redis: aioredis.Redis,
        keys: Keys,
        source: CreditSource,
        *,
        threshold: float,
        interval: float,
        host: str,
        repeat_seconds: float = 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._source = source
        self._threshold = threshold
        self._interval = interval
        self._host = host
        self._repeat = repeat_seconds
        self._clock = clock
        self._alerted_at: float | None = None

    async def run(self, epoch: int) -> None:
        """Check now and every interval for as long as this term lasts."""
        self._alerted_at = None
        while True:
            await self.check_once()
            await asyncio.sleep(self._interval)

    async def check_once(self) -> float | None:
        """Read the balance, set the gauges, alert if low; return the balance (None if unreadable)."""
        try:
            credits = float(await self._source.credit_balance())
        except KieError as exc:
            log.warning("kie_balance_unreadable", error=f"{type(exc).__name__}: {exc}")
            return None
        KIE_CREDITS.set(credits)
        await self._publish(credits)
        low = credits < self._threshold
        KIE_CREDITS_LOW.set(1 if low else 0)
        if not low:
            if self._alerted_at is not None:
                log.info("kie_balance_recovered", credits=credits, threshold=self._threshold)
            self._alerted_at = None
            return credits
        now = self._clock()
        if self._alerted_at is None or now - self._alerted_at >= self._repeat:
            await self._alert(credits, now)
            self._alerted_at = now
        return credits

    async def _publish(self, credits: float) -> None:
        try:
            await publish_balance(self._redis, self._keys, credits, self._clock())
        except (RedisError, OSError) as exc:  # the gauge and the alert still work; the next reading retries
            log.warning("kie_balance_not_published", reason=str(exc))

    async def _alert(self, credits: float, now: float) -> None:
        summary = f"KIE balance {credits:g} credits is below {self._threshold:g}: top up the account"
        log.error("kie_balance_low", credits=credits, threshold=self._threshold, summary=summary)
        ALERTS.labels(kind=LOW_BALANCE_KIND).inc()
        fields = {
            "kind": LOW_BALANCE_KIND,
            "host": self._host,
            "program": "warmup",
            "at": str(now),
            "credits": f"{credits:g}",
            "threshold": f"{self._threshold:g}",
            "summary": summary,
        }
        try:
            await self._redis.xadd(
                self._keys.alerts, cast(dict[Any, Any], fields), maxlen=ALERTS_MAXLEN, approximate=True
            )
        except (RedisError, OSError) as exc:
            log.warning("kie_balance_alert_not_recorded", reason=str(exc))
