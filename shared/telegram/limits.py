"""A PTB rate limiter shared by every process through Redis: Telegram's flood limits hold system-wide.

Sends (messages, media, edits) take a slot in two sliding one-second windows, the whole bot's and the
chat's (groups: a one-minute window), both or neither in one Lua script on the Redis clock. A
``RetryAfter`` from Telegram pauses every worker's sends for the time Telegram asked, then the call is
retried. Other calls (answerCallbackQuery, getFile, ...) pass straight through.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import redis.asyncio as aioredis
import structlog
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from shared import metrics
from shared.keys import Keys

__all__ = ["RedisRateLimiter", "TelegramLimits"]

log = structlog.get_logger()

_TAKE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local wait = 0
for i = 1, 2 do
  local window = tonumber(ARGV[i * 2])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now_ms - window)
  if redis.call('ZCARD', KEYS[i]) >= tonumber(ARGV[i * 2 - 1]) then
    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + window - now_ms)
  end
end
if wait > 0 then return wait end
for i = 1, 2 do
  redis.call('ZADD', KEYS[i], now_ms, ARGV[5])
  redis.call('PEXPIRE', KEYS[i], ARGV[i * 2])
end
return 0
"""

_LIMITED_PREFIXES = ("send", "copy", "forward", "edit")


@dataclass(frozen=True, slots=True)
class TelegramLimits:
    per_second: int = 30
    per_chat_second: int = 1
    per_group_minute: int = 20
    max_retries: int = 3


class RedisRateLimiter(BaseRateLimiter[None]):
    """Throttles sends to Telegram's limits across all processes sharing ``redis``."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, limits: TelegramLimits) -> None:
        self._redis = redis
        self._keys = keys
        self._limits = limits
        self._take = redis.register_script(_TAKE)

    async def initialize(self) -> None:
        """Nothing to open: the Redis client belongs to the program."""

    async def shutdown(self) -> None:
        """Nothing to close: the Redis client belongs to the program."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        limited = endpoint.startswith(_LIMITED_PREFIXES)
        for attempt in range(self._limits.max_retries + 1):
            await self._wait_pause()
            if limited:
                await self._take_slot(data.get("chat_id"))
            try:
                result = await callback(*args, **kwargs)
            except RetryAfter as exc:
                metrics.TELEGRAM_CALLS.labels(endpoint, "retry_after").inc()
                if attempt == self._limits.max_retries:
                    raise
                await self._pause(exc.retry_after)
                continue
            metrics.TELEGRAM_CALLS.labels(endpoint, "ok").inc()
            return result
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _take_slot(self, chat_id: object) -> None:
        chat = str(chat_id) if chat_id is not None else "none"
        is_group = chat.startswith("-")
        chat_limit = self._limits.per_group_minute if is_group else self._limits.per_chat_second
        chat_window = 60_000 if is_group else 1_000
        keys = [self._keys.telegram_rate("global"), self._keys.telegram_rate(f"chat:{chat}")]
        args: list[str | int] = [self._limits.per_second, 1_000, chat_limit, chat_window, uuid.uuid4().hex]
        while True:
            wait_ms = int(await self._take(keys=keys, args=args))
            if wait_ms <= 0:
                return
            await asyncio.sleep(wait_ms / 1000)

    async def _wait_pause(self) -> None:
        while True:
            remaining_ms = int(await self._redis.pttl(self._keys.telegram_pause))
            if remaining_ms <= 0:
                return
            await asyncio.sleep(remaining_ms / 1000)

    async def _pause(self, retry_after: int | float | timedelta) -> None:
        seconds = retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)
        log.warning("telegram_retry_after", seconds=seconds)
        await self._redis.set(self._keys.telegram_pause, "1", px=max(1, int(seconds * 1000)))
