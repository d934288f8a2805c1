"""The Redis createTask budget shared by several limiter instances (standing in for processes)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from shared.kie import RedisWindowLimiter
from tests.conftest import REDIS_URL

LIMIT = 4
WINDOW = 0.5


@pytest.fixture(name="second_redis")
async def _second_redis() -> AsyncIterator[aioredis.Redis]:
    """A second, independent Redis connection: the other "process"."""
    client = aioredis.Redis.from_url(REDIS_URL)
    yield client
    await client.aclose()


def _max_in_any_window(times: list[float], window: float) -> int:
    """The largest number of `times` inside any half-open interval of length `window`."""
    ordered = sorted(times)
    best, start = 0, 0
    for end, value in enumerate(ordered):
        while value - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


class TestSharedBudget:
    """Two limiters over one key never exceed the budget together."""

    async def test_two_instances_never_exceed_limit_in_any_window(
        self, redis_client: aioredis.Redis, second_redis: aioredis.Redis, key_prefix: str
    ) -> None:
        """20 concurrent acquires on two instances: ≤ LIMIT grants in any WINDOW, Redis or local clock."""
        limiters = [
            RedisWindowLimiter(client, key_prefix=key_prefix, limit=LIMIT, window_seconds=WINDOW)
            for client in (redis_client, second_redis)
        ]
        local: list[float] = []

        async def take(limiter: RedisWindowLimiter) -> float:
            granted = await limiter.acquire()
            local.append(time.monotonic())
            return granted

        started = time.monotonic()
        server = await asyncio.gather(*(take(limiters[i % 2]) for i in range(20)))
        elapsed = time.monotonic() - started

        assert _max_in_any_window(server, WINDOW - 1e-6) <= LIMIT
        # Local clock, allowing a few ms of Redis round-trip jitter between grant and return.
        assert _max_in_any_window(local, WINDOW - 0.02) <= LIMIT
        assert elapsed >= (20 / LIMIT - 1) * WINDOW - 0.02

    async def test_free_slots_are_granted_without_waiting(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """Up to the limit, acquire returns at once; the next try reports how long to wait."""
        limiter = RedisWindowLimiter(redis_client, key_prefix=key_prefix, limit=3, window_seconds=5)
        started = time.monotonic()
        for _ in range(3):
            await limiter.acquire()
        assert time.monotonic() - started < 0.5
        granted, wait = await limiter.try_acquire()
        assert not granted
        assert 4.0 < wait <= 5.0

    async def test_prefixes_isolate_budgets(self, redis_client: aioredis.Redis, key_prefix: str) -> None:
        """A limiter under another prefix has its own budget."""
        full = RedisWindowLimiter(redis_client, key_prefix=key_prefix, limit=1, window_seconds=5)
        other = RedisWindowLimiter(redis_client, key_prefix=key_prefix + "other:", limit=1, window_seconds=5)
        assert (await full.try_acquire())[0]
        assert not (await full.try_acquire())[0]
        assert (await other.try_acquire())[0]

    async def test_key_uses_prefix_and_expires(self, redis_client: aioredis.Redis, key_prefix: str) -> None:
        """The window lives at `{prefix}kie:create` with a TTL just over the window."""
        limiter = RedisWindowLimiter(redis_client, key_prefix=key_prefix, window_seconds=2)
        await limiter.acquire()
        assert limiter.key == f"{key_prefix}kie:create"
        ttl = await redis_client.pttl(limiter.key)
        assert 2000 < ttl <= 3000

    @pytest.mark.parametrize(("limit", "window"), [(0, 1.0), (1, 0.0)])
    def test_invalid_parameters_are_rejected(
        self, redis_client: aioredis.Redis, limit: int, window: float
    ) -> None:
        """A zero limit or window raises ValueError."""
        with pytest.raises(ValueError):
            RedisWindowLimiter(redis_client, key_prefix="x:", limit=limit, window_seconds=window)
