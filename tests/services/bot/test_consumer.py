"""The inbox consumer against real Redis: per-chat order across workers, claims, retries, dead letters."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict

import redis.asyncio as aioredis

from services.bot.consumer import ConsumerConfig, InboxConsumer
from shared.backoff import Backoff
from shared.inbox import InboxEntry, InboxWriter
from shared.keys import Keys
from shared.ops.alerts import AlertKind, AlertLog

FAST = ConsumerConfig(block_ms=100, claim_idle_ms=500, retry_backoff=Backoff(base=0.01, cap=0.1))


def update(update_id: int, chat: int) -> dict[str, object]:
    return {"update_id": update_id, "message": {"message_id": update_id, "chat": {"id": chat}, "text": "t"}}


async def fill(redis: aioredis.Redis, keys: Keys, count: int, chats: int) -> None:
    writer = InboxWriter(redis, keys)
    for update_id in range(1, count + 1):
        await writer.accept(update(update_id, chat=update_id % chats))


async def run_until(consumers: list[InboxConsumer], done: asyncio.Event, limit_s: float = 20) -> None:
    stop = asyncio.Event()
    tasks = [asyncio.create_task(consumer.run(stop)) for consumer in consumers]
    try:
        await asyncio.wait_for(done.wait(), limit_s)
    finally:
        stop.set()
        await asyncio.gather(*tasks)


class TestInboxConsumer:
    async def test_two_workers_keep_per_chat_order(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """With two workers and random handler delays, each chat's updates are handled in order, once."""
        keys = Keys(key_prefix)
        await fill(redis_client, keys, 300, chats=7)
        seen: dict[str, list[int]] = defaultdict(list)
        done = asyncio.Event()

        async def handle(entry: InboxEntry) -> None:
            await asyncio.sleep(random.uniform(0, 0.005))
            seen[entry.chat].append(entry.update_id)
            if sum(map(len, seen.values())) == 300:
                done.set()

        workers = [InboxConsumer(redis_client, keys, f"w{i}", handle, FAST) for i in range(2)]
        await run_until(workers, done)
        for chat, ids in seen.items():
            assert ids == sorted(ids), chat
        assert sorted(i for ids in seen.values() for i in ids) == list(range(1, 301))
        assert await redis_client.xpending(keys.inbox, "bot") == {
            "pending": 0,
            "min": None,
            "max": None,
            "consumers": [],
        }

    async def test_dead_workers_entries_are_claimed(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """Entries read by a worker that then vanished are handled by a live worker."""
        keys = Keys(key_prefix)
        await fill(redis_client, keys, 5, chats=1)
        await redis_client.xgroup_create(keys.inbox, "bot", id="0")
        await redis_client.xreadgroup("bot", "dead-worker", {keys.inbox: ">"}, count=2)
        handled: list[int] = []
        done = asyncio.Event()

        async def handle(entry: InboxEntry) -> None:
            handled.append(entry.update_id)
            if len(handled) == 5:
                done.set()

        await run_until([InboxConsumer(redis_client, keys, "live", handle, FAST)], done)
        assert handled == [1, 2, 3, 4, 5]

    async def test_poison_update_is_dead_lettered_and_chat_moves_on(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """An update failing five times is dead-lettered with one alert; the next update still runs."""
        keys = Keys(key_prefix)
        await fill(redis_client, keys, 3, chats=1)
        attempts: dict[int, int] = defaultdict(int)
        handled: list[int] = []
        done = asyncio.Event()

        async def handle(entry: InboxEntry) -> None:
            attempts[entry.update_id] += 1
            if entry.update_id == 2:
                raise ValueError("poison")
            handled.append(entry.update_id)
            if entry.update_id == 3:
                done.set()

        await run_until([InboxConsumer(redis_client, keys, "w", handle, FAST)], done)
        assert handled == [1, 3]
        assert attempts[2] == 5
        [(_, dead)] = await redis_client.xrange(keys.inbox_dead)
        assert b"poison" not in dead[b"reason"] and b"5 times" in dead[b"reason"]
        alerts = await AlertLog(redis_client, keys).recent()
        assert [alert.kind for alert in alerts] == [AlertKind.DEAD_LETTERED]

    async def test_restarted_worker_rereads_its_own_pending(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """A worker that stopped mid-way finds its unacknowledged entries again under the same name."""
        keys = Keys(key_prefix)
        await fill(redis_client, keys, 3, chats=3)
        await redis_client.xgroup_create(keys.inbox, "bot", id="0")
        await redis_client.xreadgroup("bot", "w", {keys.inbox: ">"}, count=3)
        handled: list[int] = []
        done = asyncio.Event()

        async def handle(entry: InboxEntry) -> None:
            handled.append(entry.update_id)
            if len(handled) == 3:
                done.set()

        slow_claims = ConsumerConfig(block_ms=100, claim_idle_ms=60_000)
        await run_until([InboxConsumer(redis_client, keys, "w", handle, slow_claims)], done, limit_s=5)
        assert sorted(handled) == [1, 2, 3]
