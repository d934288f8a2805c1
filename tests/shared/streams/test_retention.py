"""Time-based trimming of streams against real Redis: old handled entries go, unfinished ones stay."""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from shared.keys import Keys
from shared.settings import Settings
from shared.streams.retention import Retention, StreamJanitor, retentions, trim_stream

Redis = aioredis.Redis
HOUR_MS = 3_600_000
GROUP = "g"


async def add_at(redis: Redis, stream: str, ms: int, count: int = 1) -> list[str]:
    """Append ``count`` entries with ids at time ``ms`` (as if written then)."""
    return [await _xadd(redis, stream, f"{ms}-{seq}") for seq in range(1, count + 1)]


async def _xadd(redis: Redis, stream: str, entry_id: str) -> str:
    raw = await redis.xadd(stream, {"f": "v"}, id=entry_id)
    return raw.decode() if isinstance(raw, bytes) else str(raw)


async def ids(redis: Redis, stream: str) -> list[str]:
    return [entry_id.decode() for entry_id, _ in await redis.xrange(stream)]


async def read(redis: Redis, stream: str, count: int) -> list[str]:
    batch = await redis.xreadgroup(GROUP, "c", {stream: ">"}, count=count)
    return [entry_id.decode() for entry_id, _ in batch[0][1]]


class TestTrimStream:
    async def test_old_handled_entries_go_and_recent_ones_stay(
        self, redis_client: Redis, key_prefix: str
    ) -> None:
        """Entries past the retention, delivered and acknowledged, are removed; newer ones are kept."""
        stream, now_ms = f"{key_prefix}s", int(time.time() * 1000)
        await redis_client.xgroup_create(stream, GROUP, id="0", mkstream=True)
        old = await add_at(redis_client, stream, now_ms - 3 * HOUR_MS, 5)
        recent = await add_at(redis_client, stream, now_ms - 1000, 2)
        handled = await read(redis_client, stream, 7)
        await redis_client.xack(stream, GROUP, *handled)
        removed = await trim_stream(redis_client, Retention(stream, 3600), time.time())
        assert removed == len(old)
        assert await ids(redis_client, stream) == recent

    async def test_an_old_pending_entry_and_all_after_it_stay(
        self, redis_client: Redis, key_prefix: str
    ) -> None:
        """An entry delivered but not acknowledged is never trimmed, however old; nor anything after it."""
        stream, now_ms = f"{key_prefix}s", int(time.time() * 1000)
        await redis_client.xgroup_create(stream, GROUP, id="0", mkstream=True)
        first = await add_at(redis_client, stream, now_ms - 5 * HOUR_MS, 2)
        later = await add_at(redis_client, stream, now_ms - 4 * HOUR_MS, 3)
        delivered = await read(redis_client, stream, 5)
        await redis_client.xack(stream, GROUP, *first, *delivered[3:])  # later[0] stays pending
        await trim_stream(redis_client, Retention(stream, 3600), time.time())
        assert await ids(redis_client, stream) == later

    async def test_old_entries_not_yet_read_stay(self, redis_client: Redis, key_prefix: str) -> None:
        """Entries no consumer has read yet (a backlog) are never trimmed."""
        stream, now_ms = f"{key_prefix}s", int(time.time() * 1000)
        await redis_client.xgroup_create(stream, GROUP, id="0", mkstream=True)
        handled = await add_at(redis_client, stream, now_ms - 6 * HOUR_MS, 2)
        await read(redis_client, stream, 2)
        await redis_client.xack(stream, GROUP, *handled)
        backlog = await add_at(redis_client, stream, now_ms - 5 * HOUR_MS, 3)
        await trim_stream(redis_client, Retention(stream, 3600), time.time())
        assert await ids(redis_client, stream) == backlog

    async def test_every_group_is_respected(self, redis_client: Redis, key_prefix: str) -> None:
        """With two groups, the slower one's needs bound the trim."""
        stream, now_ms = f"{key_prefix}s", int(time.time() * 1000)
        await redis_client.xgroup_create(stream, GROUP, id="0", mkstream=True)
        await redis_client.xgroup_create(stream, "slow", id="0")
        entries = await add_at(redis_client, stream, now_ms - 5 * HOUR_MS, 4)
        await redis_client.xack(stream, GROUP, *await read(redis_client, stream, 4))
        await redis_client.xreadgroup("slow", "c", {stream: ">"}, count=2)
        await trim_stream(redis_client, Retention(stream, 3600), time.time())
        assert await ids(redis_client, stream) == entries

    async def test_a_stream_without_groups_is_trimmed_by_time(
        self, redis_client: Redis, key_prefix: str
    ) -> None:
        """Dead letters have no group: only their age counts."""
        stream, now_ms = f"{key_prefix}dead", int(time.time() * 1000)
        await add_at(redis_client, stream, now_ms - 3 * HOUR_MS, 3)
        recent = await add_at(redis_client, stream, now_ms - 1000)
        assert await trim_stream(redis_client, Retention(stream, 3600), time.time()) == 3
        assert await ids(redis_client, stream) == recent

    async def test_a_missing_stream_is_nothing_to_trim(self, redis_client: Redis, key_prefix: str) -> None:
        """No stream yet: nothing happens, nothing is created."""
        assert await trim_stream(redis_client, Retention(f"{key_prefix}none", 60), time.time()) == 0
        assert not await redis_client.exists(f"{key_prefix}none")


class TestStreamJanitor:
    async def test_one_round_trims_every_configured_stream(
        self, redis_client: Redis, key_prefix: str
    ) -> None:
        """The inbox, the callbacks and both dead-letter streams, each by its own retention."""
        keys, now_ms = Keys(key_prefix), int(time.time() * 1000)
        settings = Settings(INBOX_RETENTION_SECONDS=3600, CALLBACK_RETENTION_SECONDS=7 * 86400)
        plan = retentions(settings, keys)
        assert {r.stream for r in plan} == {
            keys.inbox,
            keys.kie_callbacks,
            keys.inbox_dead,
            keys.kie_callbacks_dead,
        }
        for retention in plan:
            await add_at(redis_client, retention.stream, now_ms - 2 * HOUR_MS)
            await add_at(redis_client, retention.stream, now_ms - 1000)
        assert await StreamJanitor(redis_client, plan, 60).trim_all() == 1  # only the inbox keeps < 2 h
        assert await redis_client.xlen(keys.inbox) == 1
        assert await redis_client.xlen(keys.kie_callbacks) == 2
