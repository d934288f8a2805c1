"""Per-user rate limits in Redis: at most N messages and M button presses per sliding minute.

Each update is recorded by its update id (a sorted-set member scored by time), so handling the same
update again (a worker replaced mid-update) does not count it twice. Shared by every worker and host.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import redis.asyncio as aioredis

from shared.keys import Keys

__all__ = ["RateKind", "RateLimiter", "RateLimits"]

WINDOW_SECONDS = 60.0


class RateKind(StrEnum):
    """What is being counted."""

    MESSAGE = "message"
    BUTTON = "button"


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Allowed updates per user per minute, by kind."""

    messages_per_minute: int = 30
    buttons_per_minute: int = 90

    def limit(self, kind: RateKind) -> int:
        """The allowance for ``kind``."""
        return self.messages_per_minute if kind is RateKind.MESSAGE else self.buttons_per_minute


class RateLimiter:
    """Counts each user's updates in a sliding window and says whether one more is allowed."""

    def __init__(
        self,
        redis: aioredis.Redis,
        keys: Keys,
        limits: RateLimits,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._limits = limits
        self._clock = clock

    async def allow(self, user_id: int, kind: RateKind, update_id: int) -> bool:
        """Record the update and return whether it is within the user's allowance."""
        now = self._clock()
        key = self._keys.rate_window(user_id, kind.value)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(key, 0, now - WINDOW_SECONDS)
            pipe.zadd(key, {str(update_id): now}, nx=True)
            pipe.zrangebyscore(key, now - WINDOW_SECONDS, "+inf")
            pipe.expire(key, int(WINDOW_SECONDS) + 1)
            _, _, members, _ = await pipe.execute()
        ids = sorted(int(member) for member in members)
        # The update's place among the window's updates decides, so a re-handled update gets the
        # same answer it got the first time.
        position = ids.index(update_id) + 1 if update_id in ids else len(ids)
        return position <= self._limits.limit(kind)

    async def first_notice(self, kind: str, user_id: int, seconds: float) -> bool:
        """True once per ``seconds`` per user and kind: whether to tell the user (again) now."""
        key = self._keys.notice_once(kind, user_id)
        return bool(await self._redis.set(key, "1", nx=True, ex=max(1, int(seconds))))
