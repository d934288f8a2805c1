"""Heartbeats: written by each process, read by /health and the CLI, gone on a clean stop."""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from shared.heartbeat import Heartbeat, ProcessState, read_heartbeats
from shared.identity import ProcessIdentity
from shared.keys import Keys


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
        """A record carries a TTL, so a dead process disappears on its own."""
        keys = Keys(key_prefix)
        await Heartbeat(redis_client, keys, identity("warmup", "warmup"), 1.0).beat()
        ttl = await redis_client.pttl(keys.heartbeat("h1", "warmup"))
        assert 0 < ttl <= 5000
