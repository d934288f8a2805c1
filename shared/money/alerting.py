"""Money alerts: a payment that does not match its invoice is recorded and told to every admin.

The alert goes to the ``alerts`` stream (``shared.ops.alerts``, the operators' durable record) and,
as one message, to each of ADMIN_IDS. Neither step may stop the handler: the user's answer matters
more, so failures are logged and swallowed. Alerts carry ids and amounts, never secrets or payloads.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError
from telegram import Bot
from telegram.error import TelegramError

from shared.keys import Keys
from shared.ops.alerts import Alert, AlertKind, AlertLog

__all__ = ["MoneyAlerts"]

log = structlog.get_logger()


@dataclass(frozen=True, slots=True)
class MoneyAlerts:
    """Where money alerts go: the alert log of ``host``/``program`` and the admins' chats."""

    redis: aioredis.Redis
    keys: Keys
    host: str
    program: str
    admin_ids: frozenset[int]

    async def payment_mismatch(
        self,
        bot: Bot,
        *,
        stage: str,
        verdict: str,
        user_id: int,
        total: int,
        currency: str,
        charge_id: str | None = None,
    ) -> None:
        """A checkout refused or a payment not credited because it does not match its invoice."""
        what = "checkout refused" if stage == "checkout" else "payment not credited"
        charge = f", charge {charge_id}" if charge_id else ""
        await self.send(bot, f"{what} ({verdict}): user {user_id}, {total} {currency}{charge}")

    async def send(self, bot: Bot, reason: str) -> None:
        """Record ``reason`` as a money alert and message it to the admins."""
        alert = Alert(AlertKind.MONEY, self.host, self.program, time.time(), reason=reason)
        try:
            await AlertLog(self.redis, self.keys).record(alert)
        except (RedisError, OSError) as exc:  # the admins' message below still goes out
            log.warning("money_alert_not_recorded", error=type(exc).__name__)
        text = f"⚠️ TRT: {alert.summary()}"
        for admin_id in sorted(self.admin_ids):
            try:
                await bot.send_message(admin_id, text)
            except TelegramError as exc:  # an admin who blocked the bot must not hide it from the others
                log.warning("money_alert_not_sent", admin_id=admin_id, error=type(exc).__name__)
