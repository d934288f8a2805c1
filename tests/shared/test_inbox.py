"""The inbox writer against real Redis: concurrent accepts share one script call, each keeps its outcome."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from shared.inbox import InboxWriter
from shared.keys import Keys
from tests.conftest import PrivateRedis


def update(update_id: int, chat: int) -> dict[str, object]:
    message = {"message_id": update_id, "date": 0, "chat": {"id": chat, "type": "private"}, "text": "x"}
    return {"update_id": update_id, "message": message}


@pytest.fixture(name="own_redis")
async def _own_redis(private_redis: PrivateRedis) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis(port=private_redis.port)
    yield client
    await client.aclose()


async def script_calls(client: aioredis.Redis) -> int:
    stats = await client.info("commandstats")
    return sum(int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in ("evalsha", "eval"))


class TestInboxWriter:
    async def test_concurrent_accepts_share_script_calls(self, own_redis: aioredis.Redis) -> None:
        """100 concurrent updates are all stored, in far fewer script calls than updates."""
        keys, writer = Keys("t:"), InboxWriter(own_redis, Keys("t:"))
        before = await script_calls(own_redis)
        outcomes = await asyncio.gather(*(writer.accept(update(n, n % 7)) for n in range(1, 101)))
        assert outcomes == [True] * 100
        assert await own_redis.xlen(keys.inbox) == 100
        assert await script_calls(own_redis) - before <= 10

    async def test_duplicate_within_one_batch_is_stored_once(self, own_redis: aioredis.Redis) -> None:
        """The same update_id twice in one batch: the first is new, the second a duplicate."""
        keys, writer = Keys("t:"), InboxWriter(own_redis, Keys("t:"))
        outcomes = await asyncio.gather(
            writer.accept(update(5, 1)), writer.accept(update(5, 1)), writer.accept(update(6, 1))
        )
        assert outcomes == [True, False, True]
        assert await own_redis.xlen(keys.inbox) == 2

    async def test_places_follow_arrival_order_per_chat(self, own_redis: aioredis.Redis) -> None:
        """Updates of two chats, interleaved in one batch, get places 1, 2, 3… in the order they came."""
        keys, writer = Keys("t:"), InboxWriter(own_redis, Keys("t:"), max_batch=4)
        await asyncio.gather(*(writer.accept(update(n, n % 2)) for n in range(1, 21)))
        places: dict[bytes, list[tuple[int, int]]] = {}
        for _, fields in await own_redis.xrange(keys.inbox):
            places.setdefault(fields[b"chat"], []).append((int(fields[b"update_id"]), int(fields[b"seq"])))
        for entries in places.values():
            assert [seq for _, seq in entries] == list(range(1, 11))
            assert [update_id for update_id, _ in entries] == sorted(update_id for update_id, _ in entries)

    async def test_failed_batch_fails_every_caller_and_claims_nothing(
        self, private_redis: PrivateRedis
    ) -> None:
        """With Redis gone every caller of the batch sees the error; afterwards the same ids are new."""
        client = aioredis.Redis(port=private_redis.port, socket_connect_timeout=0.5, socket_timeout=1)
        writer = InboxWriter(client, Keys("t:"))
        private_redis.stop()
        outcomes = await asyncio.gather(
            *(writer.accept(update(n, 1)) for n in range(1, 4)), return_exceptions=True
        )
        assert all(isinstance(outcome, Exception) for outcome in outcomes)
        private_redis.start()
        assert await asyncio.gather(*(writer.accept(update(n, 1)) for n in range(1, 4))) == [True] * 3
        await client.aclose()
