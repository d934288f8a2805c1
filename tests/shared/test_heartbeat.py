"""Heartbeats: written by each process, read by /health and the CLI, gone on a clean stop."""

from __future__ import annotations

import asyncio
import json
import time

import redis.asyncio as aioredis

from shared.heartbeat import Heartbeat, ProcessState, read_heartbeats
from shared.identity import ProcessIdentity
from shared.keys import Keys
from tests.conftest import PrivateRedis


def identity(name: str, group: str, host: str = "h1") -> ProcessIdentity:
    return ProcessIdentity(program=group, process_name=name, group=group, host=host, pid=4242)


class TestHeartbeat:
    async def test_beat_is_read_back_under_the_supervisorctl_name(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """A worker in a group appears as group:name, with its pid, state and a fresh age."""
        keys = Keys(key_prefix)
        beat = Heartbeat(redis_client, keys, identity("bot_00", "bot"), interval=1.0)
        beat.state = ProcessState.RUNNING
        await beat.beat()
        [record] = await read_heartbeats(redis_client, keys, "h1")
        assert (record.name, record.pid, record.state) == ("bot:bot_00", 4242, "running")
        assert record.age(time.time()) < 1.0

    async def test_a_state_change_is_published_at_once(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """/health sees a program running as soon as it says so, not an interval later."""
        keys = Keys(key_prefix)
        beat = Heartbeat(redis_client, keys, identity("webhook", "webhook"), interval=30.0)
        stop = asyncio.Event()
        beating = asyncio.create_task(beat.run(stop))
        try:
            await asyncio.sleep(0.1)
            beat.set_state(ProcessState.RUNNING)
            await asyncio.sleep(0.2)
            [record] = await read_heartbeats(redis_client, keys, "h1")
            assert record.state == "running"
        finally:
            stop.set()
            await beating

    async def test_hosts_are_kept_apart(self, redis_client: aioredis.Redis, key_prefix: str) -> None:
        """Reading one host's heartbeats never returns another host's."""
        keys = Keys(key_prefix)
        await Heartbeat(redis_client, keys, identity("webhook", "webhook", "h1"), 1.0).beat()
        await Heartbeat(redis_client, keys, identity("webhook", "webhook", "h2"), 1.0).beat()
        assert [r.host for r in await read_heartbeats(redis_client, keys, "h2")] == ["h2"]
        assert len(await read_heartbeats(redis_client, keys)) == 2

    async def test_clear_removes_the_record(self, redis_client: aioredis.Redis, key_prefix: str) -> None:
        """After a clean stop the process no longer appears."""
        keys = Keys(key_prefix)
        beat = Heartbeat(redis_client, keys, identity("jobs", "jobs"), 1.0)
        await beat.beat()
        await beat.clear()
        assert await read_heartbeats(redis_client, keys) == []

    async def test_record_expires_without_beats(self, redis_client: aioredis.Redis, key_prefix: str) -> None:
        """A host's hash carries a TTL, so a dead host disappears on its own."""
        keys = Keys(key_prefix)
        await Heartbeat(redis_client, keys, identity("warmup", "warmup"), 1.0).beat()
        ttl = await redis_client.pttl(keys.heartbeats("h1"))
        assert 0 < ttl <= 5000

    async def test_a_dead_process_is_skipped_and_forgotten(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """A record past its expiry (its process died while the host lives on) is not read, and deleted."""
        keys = Keys(key_prefix)
        await Heartbeat(redis_client, keys, identity("jobs", "jobs"), 1.0).beat()
        await Heartbeat(redis_client, keys, identity("warmup", "warmup"), 1.0).beat()
        record = json.loads(await redis_client.hget(keys.heartbeats("h1"), "warmup") or "{}")
        record["expires"] = time.time() - 1
        await redis_client.hset(keys.heartbeats("h1"), "warmup", json.dumps(record))
        assert [r.name for r in await read_heartbeats(redis_client, keys, "h1")] == ["jobs"]
        assert await redis_client.hkeys(keys.heartbeats("h1")) == [b"jobs"]

    async def test_reading_never_scans_the_keyspace(self, private_redis: PrivateRedis) -> None:
        """With 300,000 unrelated keys in Redis, reading heartbeats issues no SCAN or KEYS."""
        redis = aioredis.Redis(port=private_redis.port)
        try:
            await fill_unrelated(redis, 300_000)
            keys = Keys("trt:")
            await Heartbeat(redis, keys, identity("webhook", "webhook"), 60.0).beat()
            before = await scans(redis)
            for host in ("h1", "*"):
                assert [r.name for r in await read_heartbeats(redis, keys, host)] == ["webhook"]
            assert await scans(redis) == before
        finally:
            await redis.aclose()


async def fill_unrelated(redis: aioredis.Redis, count: int) -> None:
    """``count`` keys that are not TRT's, by short server-side loops (fast even on a loaded machine)."""
    script = "for i = ARGV[1], ARGV[2] do redis.call('SET', 'unrelated:' .. i, 'x') end"
    for start in range(0, count, 10_000):
        last = min(start + 10_000, count) - 1
        await redis.eval(script, 0, start, last)  # type: ignore[misc]  # redis-py leaves eval untyped


async def scans(redis: aioredis.Redis) -> int:
    """How many SCAN and KEYS commands this Redis has run (INFO commandstats)."""
    stats = await redis.info("commandstats")
    return sum(int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in ("scan", "keys"))
