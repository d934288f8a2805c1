"""The account-wide createTask budget, shared by every process through Redis.

KIE allows 20 new generation requests per 10 seconds per *account* and answers 429 beyond that
(kie-api.md §7). Every process that submits tasks holds a `RedisWindowLimiter` over the same key, so
together they stay within the budget.

The limiter is a sliding-window log: a sorted set of grant times (microseconds, Redis server clock),
checked and appended by one Lua script so that the check-and-take is atomic across processes. Using the
Redis clock rather than each host's clock keeps hosts with skewed clocks honest. The guarantee: in any
interval shorter than `window_seconds`, at most `limit` slots are granted.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Protocol

import redis.asyncio as aioredis
import structlog

__all__ = ["CREATE_TASK_KEY", "RateLimiter", "RedisWindowLimiter"]

# Key (after the injected prefix) of the account-wide createTask window.
CREATE_TASK_KEY = "kie:create"

_log = structlog.get_logger(__name__)

# KEYS[1]: window key. ARGV: limit, window in µs, unique member.
# Returns {1, grant_time_us} when a slot was taken, {0, wait_us} otherwise.
_SCRIPT = """
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', string.format('%.0f', now - window))
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, string.format('%.0f', now), ARGV[3])
  redis.call('PEXPIRE', key, math.ceil(window / 1000) + 1000)
  return {1, now}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {0, tonumber(oldest[2]) + window - now}
"""


class RateLimiter(Protocol):
    """Something `KieClient` awaits before every createTask attempt."""

    async def acquire(self) -> float:
        """Wait for a free slot and take it; return the grant time in Unix seconds."""
        ...


class RedisWindowLimiter:
    """A sliding-window limiter over one Redis key, shared by every process that uses the key."""

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        key_prefix: str,
        limit: int = 20,
        window_seconds: float = 10.0,
        name: str = CREATE_TASK_KEY,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if window_seconds <= 0:
            raise ValueError("window_seconds must be positive")
        self._redis = redis
        self._key = f"{key_prefix}{name}"
        self._limit = limit
        self._window_us = round(window_seconds * 1_000_000)
        self._sleep = sleep
        self._script = redis.register_script(_SCRIPT)

    @property
    def key(self) -> str:
        """The Redis key holding the window."""
        return self._key

    async def try_acquire(self) -> tuple[bool, float]:
        """Take a slot if one is free now: (True, grant time in s) or (False, seconds to wait)."""
        member = uuid.uuid4().hex
        granted, value = await self._script(keys=[self._key], args=[self._limit, self._window_us, member])
        if int(granted) == 1:
            return True, int(value) / 1_000_000
        return False, max(int(value), 0) / 1_000_000

    async def acquire(self) -> float:
        """Wait until a slot is free, take it and return its grant time (Unix seconds, Redis clock).

        Waits as long as it takes; bound it with `asyncio.timeout` if needed. Cancelling may leave a
        slot taken but unused, which only makes the budget more conservative. Redis errors propagate.
        """
        while True:
            granted, value = await self.try_acquire()
            if granted:
                return value
            _log.debug("kie_create_budget_wait", key=self._key, wait_seconds=round(value, 3))
            # A millisecond of slack: the oldest grant must have left the window when we retry.
            await self._sleep(value + 0.001)
