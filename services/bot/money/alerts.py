"""Money alerts: a payment that does not match its invoice is recorded and told to every admin.

The alert goes to the ``alerts`` stream (``shared.ops.alerts``, the operators' durable record) and,
as one message, to each of ADMIN_IDS. Neither step may stop the handler: the user's answer matters
more, so failures are logged and swallowed. Alerts carry ids and amounts, never secrets or payloads.
"""

from __future__ import annotations

import time

import structlog
from redis.exceptions import RedisError
from telegram import Bot
from telegram.error import TelegramError

from services.bot.money.deps import MoneyDeps
from shared.ops.alerts import Alert, AlertKind, AlertLog

__all__ = ["alert_money"]

log = structlog.get_logger()


async def alert_money(bot: Bot, money: MoneyDeps, reason: str) -> None:
    """Record ``reason`` as a money alert and message it to the admins."""
    alert = Alert(AlertKind.MONEY, money.host, money.program, time.time(), reason=reason)
    try:
        await AlertLog(money.redis, money.keys).record(alert)
    except (RedisError, OSError) as exc:  # the admins' message below still goes out
        log.warning("money_alert_not_recorded", error=type(exc).__name__)
    text = f"⚠️ TRT: {alert.summary()}"
    for admin_id in sorted(money.admin_ids):
        try:
            await bot.send_message(admin_id, text)
        except TelegramError as exc:  # an admin who blocked the bot must not hide it from the others
            log.warning("money_alert_not_sent", admin_id=admin_id, error=type(exc).__name__)
