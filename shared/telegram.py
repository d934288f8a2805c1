"""Building python-telegram-bot objects that honour ``TELEGRAM_API_BASE_URL``."""

from __future__ import annotations

import redis.asyncio as aioredis
from telegram.ext import Application, ApplicationBuilder

from shared.keys import Keys
from shared.settings import Settings
from shared.telegram_journal import JournaledLimiter
from shared.telegram_limits import RedisRateLimiter, TelegramLimits

__all__ = ["build_application", "telegram_limits"]


def build_application(settings: Settings, redis: aioredis.Redis) -> Application:  # type: ignore[type-arg]
    """An Application with no Updater (updates come from our inbox) and the shared rate limiter."""
    token = settings.require_telegram().get_secret_value()
    base = settings.TELEGRAM_API_BASE_URL
    return (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .updater(None)
        .rate_limiter(_limiter(settings, redis))
        .build()
    )


def _limiter(settings: Settings, redis: aioredis.Redis) -> JournaledLimiter:
    keys = Keys(settings.REDIS_KEY_PREFIX)
    return JournaledLimiter(RedisRateLimiter(redis, keys, telegram_limits(settings)), redis, keys)


def telegram_limits(settings: Settings) -> TelegramLimits:
    return TelegramLimits(
        per_second=settings.TELEGRAM_RATE_PER_SECOND,
        per_chat_second=settings.TELEGRAM_RATE_PER_CHAT_SECOND,
        per_group_minute=settings.TELEGRAM_RATE_PER_GROUP_MINUTE,
    )
