"""The lease keeper against real Redis and PostgreSQL: terms, renewals, step-down and release."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import psycopg
import redis.asyncio as aioredis
from structlog.testing import capture_logs

from services.lockkeeper.keeper import LeaseKeeper
from shared.keys import Keys
from shared.lease.backend import LeaderBoard, LeaderInfo
from shared.lease.postgres import PostgresLease
from shared.lease.redis import RedisLease
from tests.shared.servers import RedisServer, _lease_db, _private_redis  # noqa: F401  (fixtures)

Redis = aioredis.Redis
TTL = 1.5


async def eventually(predicate: Callable[[], bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


@asynccontextmanager
async def keeping(keeper: LeaseKeeper) -> AsyncIterator[asyncio.Event]:
    """Run ``keeper`` in the background; the block may set the yielded stop event early."""
    stop = asyncio.Event()
    task = asyncio.create_task(keeper.run(stop))
    try:
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


def redis_keeper(redis: Redis, prefix: str, holder: str, ttl: float = TTL) -> LeaseKeeper:
    keys = Keys(prefix)
    return LeaseKeeper(RedisLease(redis, keys, holder, ttl), LeaderBoard(redis, keys, ttl * 2), ttl)


def pg_keeper(url: str, redis: Redis, prefix: str, holder: str) -> tuple[LeaseKeeper, PostgresLease]:
    keys = Keys(prefix)
    backend = PostgresLease(url, holder, TTL, connect_timeout=2)
    floor = RedisLease(redis, keys, holder, TTL).highest_epoch
    return LeaseKeeper(backend, LeaderBoard(redis, keys, TTL * 2), TTL, floor=floor), backend


async def published(redis: Redis, prefix: str) -> LeaderInfo | None:
    return await LeaderBoard(redis, Keys(prefix), 1).read()


async def _crash() -> None:
    """Stands in for a keeper's shutdown when it is killed: nothing is released."""


async def crashed_keeper(redis: Redis, prefix: str, holder: str, origin: str) -> None:
    """A keeper that took a 30 s term, published it with ``origin``, and was killed (released nothing)."""
    keys = Keys(prefix)
    keeper = LeaseKeeper(RedisLease(redis, keys, holder, 30), LeaderBoard(redis, keys, 60), 30, origin=origin)
    async with keeping(keeper) as stop:
        await eventually(lambda: keeper.epoch == 1)
        keeper._shutdown = _crash  # type: ignore[method-assign]  # a SIGKILL releases nothing
        stop.set()


def takeover_keeper(redis: Redis, prefix: str, holder: str, origin: str) -> LeaseKeeper:
    """A keeper that judges holder ``a/lockkeeper/1`` dead, as the probe would after a SIGKILL."""
    keys = Keys(prefix)
    return LeaseKeeper(
        RedisLease(redis, keys, holder, 30),
        LeaderBoard(redis, keys, 60),
        30,
        predecessor_gone=lambda dead: dead == "a/lockkeeper/1",
        origin=origin,
    )


def events(logs: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [entry for entry in logs if entry["event"] == name]


class TestRedisKeeper:
    async def test_one_of_two_keepers_leads_and_publishes(self, redis_client: Redis, key_prefix: str) -> None:
        """Exactly one keeper holds a term; its holder, epoch and expiry are published."""
        first = redis_keeper(redis_client, key_prefix, "a/lockkeeper/1")
        second = redis_keeper(redis_client, key_prefix, "b/lockkeeper/2")
        async with keeping(first), keeping(second):
            await eventually(lambda: first.epoch is not None or second.epoch is not None)
            await asyncio.sleep(TTL)
            assert [first.epoch is None, second.epoch is None].count(False) == 1
            state = await published(redis_client, key_prefix)
            assert state is not None and state.is_live() and state.epoch == 1
            assert 0 < state.expires_at - time.time() <= TTL

    async def test_renewal_keeps_the_same_epoch(self, redis_client: Redis, key_prefix: str) -> None:
        """Across several renewal intervals the term and its epoch stay the same."""
        keeper = redis_keeper(redis_client, key_prefix, "a/lockkeeper/1")
        async with keeping(keeper):
            await eventually(lambda: keeper.epoch == 1)
            await asyncio.sleep(TTL * 2)
            assert keeper.epoch == 1

    async def test_steps_down_when_the_key_is_taken_over(self, redis_client: Redis, key_prefix: str) -> None:
        """The lease key deleted and taken by another: the keeper steps down at its next renewal."""
        keeper = redis_keeper(redis_client, key_prefix, "a/lockkeeper/1")
        with capture_logs() as logs:
            async with keeping(keeper):
                await eventually(lambda: keeper.epoch == 1)
                await redis_client.delete(Keys(key_prefix).lease)
                other = RedisLease(redis_client, Keys(key_prefix), "b/lockkeeper/2", 10)
                assert await other.try_acquire() == 2
                await eventually(lambda: keeper.epoch is None, within=TTL)
        assert events(logs, "lease_lost")

    async def test_steps_down_when_redis_is_unreachable_and_returns_after(
        self, private_redis: RedisServer
    ) -> None:
        """Redis down longer than the TTL: the keeper stops leading before the TTL; it leads again after."""
        client = Redis.from_url(private_redis.url, socket_connect_timeout=0.2, socket_timeout=0.3)
        keeper = redis_keeper(client, "t:", "a/lockkeeper/1")
        try:
            async with keeping(keeper):
                await eventually(lambda: keeper.epoch is not None)
                private_redis.stop()
                stopped_at = time.monotonic()
                await eventually(lambda: keeper.epoch is None, within=TTL + 0.5)
                assert time.monotonic() - stopped_at <= TTL
                await asyncio.sleep(TTL)
                assert keeper.epoch is None
                private_redis.start()
                await eventually(lambda: keeper.epoch is not None, within=TTL + 1)
        finally:
            await client.aclose()

    async def test_stop_releases_and_announces(self, redis_client: Redis, key_prefix: str) -> None:
        """A clean stop deletes the lease key and publishes that nobody leads."""
        keeper = redis_keeper(redis_client, key_prefix, "a/lockkeeper/1")
        with capture_logs() as logs:
            async with keeping(keeper):
                await eventually(lambda: keeper.epoch == 1)
        assert not await redis_client.exists(Keys(key_prefix).lease)
        state = await published(redis_client, key_prefix)
        assert state is not None and state.holder is None and state.epoch == 1
        assert events(logs, "lease_released")

    async def test_release_of_a_lost_lease_is_skipped(self, redis_client: Redis, key_prefix: str) -> None:
        """Stopping after the lease was taken over leaves the new holder's key and logs 'skipped'."""
        keeper = redis_keeper(redis_client, key_prefix, "a/lockkeeper/1", ttl=6)
        with capture_logs() as logs:
            async with keeping(keeper):
                await eventually(lambda: keeper.epoch == 1)
                await redis_client.set(Keys(key_prefix).lease, "b/lockkeeper/2|2")
        assert await redis_client.get(Keys(key_prefix).lease) == b"b/lockkeeper/2|2"
        (skipped,) = events(logs, "lease_release_skipped")
        assert skipped["log_level"] == "info" and skipped["reason"] == "no longer held"

    async def test_release_without_a_connection_is_skipped_at_info(self, private_redis: RedisServer) -> None:
        """Redis gone at shutdown: the release is logged as skipped with the reason, nothing raises."""
        client = Redis.from_url(private_redis.url, socket_connect_timeout=0.2, socket_timeout=0.3)
        keeper = redis_keeper(client, "t:", "a/lockkeeper/1", ttl=6)
        try:
            with capture_logs() as logs:
                async with keeping(keeper):
                    await eventually(lambda: keeper.epoch is not None)
                    private_redis.stop()
        finally:
            await client.aclose()
        (skipped,) = events(logs, "lease_release_skipped")
        assert skipped["log_level"] == "info" and skipped["reason"]
        assert not events(logs, "lease_release_failed")

    async def test_a_live_term_of_the_other_backend_is_waited_out(
        self, redis_client: Redis, key_prefix: str
    ) -> None:
        """A published live PostgreSQL term keeps a Redis keeper from acquiring until it expires."""
        board = LeaderBoard(redis_client, Keys(key_prefix), 10)
        other = LeaderInfo("b/lockkeeper/2", 5, time.time() + 1.0, backend="postgres")
        await board.publish(other)
        keeper = redis_keeper(redis_client, key_prefix, "a/lockkeeper/1")
        async with keeping(keeper):
            await asyncio.sleep(0.7)
            assert keeper.epoch is None
            await eventually(lambda: keeper.epoch is not None, within=2)

    async def test_a_crashed_predecessor_on_this_host_gives_other_hosts_priority(
        self, redis_client: Redis, key_prefix: str
    ) -> None:
        """After a crash, the restarted keeper waits half a TTL past the old term; another host wins."""
        board = LeaderBoard(redis_client, Keys(key_prefix), 10)
        await board.publish(LeaderInfo("a/lockkeeper/1", 1, time.time() + 0.3))
        restarted = redis_keeper(redis_client, key_prefix, "a/lockkeeper/2")
        other_host = redis_keeper(redis_client, key_prefix, "b/lockkeeper/3")
        with capture_logs() as logs:
            async with keeping(restarted):
                await asyncio.sleep(0.3 + TTL / 4)
                assert restarted.epoch is None
                async with keeping(other_host):
                    await eventually(lambda: other_host.epoch is not None, within=1)
        assert events(logs, "lease_deferring_to_other_hosts")

    async def test_a_restarted_keeper_takes_over_a_dead_predecessors_term_at_once(
        self, redis_client: Redis, key_prefix: str
    ) -> None:
        """Predecessor proved gone (same origin): a new term with the next epoch at once, not after expiry."""
        await crashed_keeper(redis_client, key_prefix, "a/lockkeeper/1", origin="boot/ns")
        restarted = takeover_keeper(redis_client, key_prefix, "a/lockkeeper/2", origin="boot/ns")
        with capture_logs() as logs:
            async with keeping(restarted):
                await eventually(lambda: restarted.epoch == 2, within=1)
        assert events(logs, "lease_predecessor_gone")

    async def test_a_pid_of_another_origin_is_never_judged(
        self, redis_client: Redis, key_prefix: str
    ) -> None:
        """Same host name, another machine or pid namespace: its pid proves nothing; the term is kept."""
        await crashed_keeper(redis_client, key_prefix, "a/lockkeeper/1", origin="boot/other-ns")
        restarted = takeover_keeper(redis_client, key_prefix, "a/lockkeeper/2", origin="boot/ns")
        with capture_logs() as logs:
            async with keeping(restarted):
                await asyncio.sleep(1)
                assert restarted.epoch is None
        assert not events(logs, "lease_predecessor_gone")

    async def test_a_restarted_keeper_alone_leads_after_the_grace(
        self, redis_client: Redis, key_prefix: str
    ) -> None:
        """With no other host, the restarted keeper takes a new term soon after the grace period."""
        board = LeaderBoard(redis_client, Keys(key_prefix), 10)
        await board.publish(LeaderInfo("a/lockkeeper/1", 1, time.time() + 0.2))
        restarted = redis_keeper(redis_client, key_prefix, "a/lockkeeper/2")
        async with keeping(restarted):
            await eventually(lambda: restarted.epoch is not None, within=0.2 + TTL / 2 + 1)


class TestPostgresKeeper:
    async def test_leads_through_postgres_and_publishes_to_redis(
        self, lease_db: str, redis_client: Redis, key_prefix: str
    ) -> None:
        """The PostgreSQL term is published in Redis like any other, marked with its backend."""
        keeper, _ = pg_keeper(lease_db, redis_client, key_prefix, "a/lockkeeper/1")
        async with keeping(keeper):
            await eventually(lambda: keeper.epoch == 1)
            state = await published(redis_client, key_prefix)
            assert state is not None and state.backend == "postgres" and state.is_live()

    async def test_epoch_starts_above_the_redis_counter(
        self, lease_db: str, redis_client: Redis, key_prefix: str
    ) -> None:
        """Switching a deployment from Redis to PostgreSQL: the first PostgreSQL epoch is above Redis's."""
        await redis_client.set(Keys(key_prefix).lease_epoch, 30)
        keeper, _ = pg_keeper(lease_db, redis_client, key_prefix, "a/lockkeeper/1")
        async with keeping(keeper):
            await eventually(lambda: keeper.epoch == 31)

    async def test_steps_down_when_the_row_is_taken_over(
        self, lease_db: str, redis_client: Redis, key_prefix: str
    ) -> None:
        """Another holder in the lease row: the keeper's CAS renewal fails and it steps down."""
        keeper, _ = pg_keeper(lease_db, redis_client, key_prefix, "a/lockkeeper/1")
        async with keeping(keeper):
            await eventually(lambda: keeper.epoch == 1)
            with psycopg.connect(lease_db, autocommit=True) as conn:
                conn.execute("UPDATE leader_lease SET holder = 'b/lockkeeper/2', epoch = 2")
            await eventually(lambda: keeper.epoch is None, within=TTL)

    async def test_keeps_leading_after_its_backend_is_terminated(
        self, lease_db: str, redis_client: Redis, key_prefix: str
    ) -> None:
        """pg_terminate_backend on the lease connection: it reconnects and renews the same term."""
        keeper, backend = pg_keeper(lease_db, redis_client, key_prefix, "a/lockkeeper/1")
        with capture_logs() as logs:
            async with keeping(keeper):
                await eventually(lambda: keeper.epoch == 1 and backend.backend_pid is not None)
                with psycopg.connect(lease_db, autocommit=True) as conn:
                    conn.execute("SELECT pg_terminate_backend(%s)", (backend.backend_pid,))
                await eventually(lambda: bool(events(logs, "lease_renew_failed")), within=TTL)
                await asyncio.sleep(TTL)
                assert keeper.epoch == 1
        assert events(logs, "lease_released")

    async def test_stop_expires_the_row(self, lease_db: str, redis_client: Redis, key_prefix: str) -> None:
        """A clean stop ends the term in the row at once, so another holder can take it."""
        keeper, _ = pg_keeper(lease_db, redis_client, key_prefix, "a/lockkeeper/1")
        async with keeping(keeper):
            await eventually(lambda: keeper.epoch == 1)
        other = PostgresLease(lease_db, "b/lockkeeper/2", TTL)
        try:
            assert await other.try_acquire() == 2
        finally:
            await other.aclose()
