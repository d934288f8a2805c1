"""LeaderWatch and run_while_leader: a program's view of whether its host leads, and leader duties."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import redis.asyncio as aioredis

from shared.keys import Keys
from shared.lease.backend import LeaderBoard, LeaderInfo
from shared.lease.leadership import LeaderWatch, run_while_leader
from tests.shared.servers import RedisServer, _private_redis  # noqa: F401  (fixture)

Redis = aioredis.Redis
HOST = "host-a"


async def announce(board: LeaderBoard, host: str | None, epoch: int, ttl: float = 5.0) -> None:
    holder = None if host is None else f"{host}/lockkeeper/1"
    await board.publish(LeaderInfo(holder=holder, epoch=epoch, expires_at=time.time() + ttl))


async def eventually(predicate: Callable[[], bool], within: float = 3.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


@asynccontextmanager
async def watching(redis: Redis, prefix: str, host: str = HOST) -> AsyncIterator[LeaderWatch]:
    """A LeaderWatch running in the background until the block ends."""
    stop = asyncio.Event()
    watch = LeaderWatch(redis, Keys(prefix), host, retry_seconds=0.1)
    task = asyncio.create_task(watch.run(stop))
    try:
        yield watch
    finally:
        stop.set()
        await task


class TestLeaderWatch:
    async def test_reads_the_state_key_at_start(self, redis_client: Redis, key_prefix: str) -> None:
        """A leader published before the watch started is known without any new message."""
        await announce(LeaderBoard(redis_client, Keys(key_prefix), 10), HOST, 4)
        async with watching(redis_client, key_prefix) as watch:
            await eventually(lambda: watch.leading_epoch() == 4)

    async def test_follows_announcements(self, redis_client: Redis, key_prefix: str) -> None:
        """This host leads while its term is announced, and not once another host's term is."""
        board = LeaderBoard(redis_client, Keys(key_prefix), 10)
        async with watching(redis_client, key_prefix) as watch:
            await asyncio.sleep(0.2)
            assert watch.leading_epoch() is None
            await announce(board, HOST, 1)
            await eventually(lambda: watch.leading_epoch() == 1)
            await announce(board, "host-b", 2)
            await eventually(lambda: watch.leader is not None and watch.leader.epoch == 2)
            assert watch.leading_epoch() is None

    async def test_an_expired_state_means_nobody_leads(self, redis_client: Redis, key_prefix: str) -> None:
        """When expires_at passes with no renewal, the watch wakes its waiters: nobody leads."""
        board = LeaderBoard(redis_client, Keys(key_prefix), 10)
        async with watching(redis_client, key_prefix) as watch:
            await announce(board, HOST, 1, ttl=0.5)
            await eventually(lambda: watch.leading_epoch() == 1)
            changed = asyncio.create_task(watch.next_change())
            await asyncio.wait_for(changed, 1.0)
            assert watch.leader is None

    async def test_a_step_down_ends_leadership_at_once(self, redis_client: Redis, key_prefix: str) -> None:
        """A state without holder (released or stepped down) means nobody leads."""
        board = LeaderBoard(redis_client, Keys(key_prefix), 10)
        async with watching(redis_client, key_prefix) as watch:
            await announce(board, HOST, 3)
            await eventually(lambda: watch.leading_epoch() == 3)
            await announce(board, None, 3)
            await eventually(lambda: watch.leader is None, within=0.5)

    async def test_rereads_after_reconnecting(self, private_redis: RedisServer) -> None:
        """After Redis comes back, the watch resubscribes and learns the state published meanwhile."""
        client = Redis.from_url(private_redis.url, socket_connect_timeout=0.2, socket_timeout=2)
        board = LeaderBoard(client, Keys("t:"), 10)
        try:
            async with watching(client, "t:") as watch:
                await announce(board, "host-b", 1)
                await eventually(lambda: watch.leader is not None)
                private_redis.stop()
                await asyncio.sleep(0.3)
                private_redis.start()
                await announce(board, HOST, 2)
                await eventually(lambda: watch.leading_epoch() == 2, within=5)
        finally:
            await client.aclose()


class Duty:
    """A recording leader duty: which epochs it started in, and how each run ended."""

    def __init__(self, fail_first: bool = False) -> None:
        self.started: list[int] = []
        self.cancelled: list[int] = []
        self.fail_first = fail_first

    async def __call__(self, epoch: int) -> None:
        self.started.append(epoch)
        if self.fail_first and len(self.started) == 1:
            raise ValueError("first run fails")
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled.append(epoch)
            raise


@asynccontextmanager
async def running_duty(watch: LeaderWatch, duty: Duty) -> AsyncIterator[Callable[[], Awaitable[None]]]:
    stop = asyncio.Event()
    task = asyncio.create_task(run_while_leader(watch, duty, stop, name="test", restart_delay=0.1))

    async def stop_it() -> None:
        stop.set()
        await asyncio.wait_for(task, 2)

    try:
        yield stop_it
    finally:
        await stop_it()


class TestRunWhileLeader:
    async def test_duty_runs_only_while_this_host_leads(self, redis_client: Redis, key_prefix: str) -> None:
        """Started with the epoch when the host leads, cancelled when another host's term begins."""
        board = LeaderBoard(redis_client, Keys(key_prefix), 10)
        duty = Duty()
        async with watching(redis_client, key_prefix) as watch, running_duty(watch, duty):
            await asyncio.sleep(0.2)
            assert duty.started == []
            await announce(board, HOST, 5)
            await eventually(lambda: duty.started == [5])
            await announce(board, "host-b", 6)
            await eventually(lambda: duty.cancelled == [5])
            await announce(board, HOST, 7)
            await eventually(lambda: duty.started == [5, 7])

    async def test_duty_is_cancelled_when_the_term_expires(
        self, redis_client: Redis, key_prefix: str
    ) -> None:
        """No renewal announced before expires_at: the duty is cancelled at expiry."""
        board = LeaderBoard(redis_client, Keys(key_prefix), 10)
        duty = Duty()
        async with watching(redis_client, key_prefix) as watch, running_duty(watch, duty):
            await announce(board, HOST, 1, ttl=0.6)
            await eventually(lambda: duty.started == [1])
            await eventually(lambda: duty.cancelled == [1], within=1.0)

    async def test_a_failing_duty_is_restarted_within_its_term(
        self, redis_client: Redis, key_prefix: str
    ) -> None:
        """A duty that raises is logged and run again while the same term lasts."""
        board = LeaderBoard(redis_client, Keys(key_prefix), 10)
        duty = Duty(fail_first=True)
        async with watching(redis_client, key_prefix) as watch, running_duty(watch, duty):
            await announce(board, HOST, 2)
            await eventually(lambda: duty.started == [2, 2])

    async def test_stop_cancels_the_running_duty(self, redis_client: Redis, key_prefix: str) -> None:
        """Setting stop returns only after the running duty was cancelled and awaited."""
        board = LeaderBoard(redis_client, Keys(key_prefix), 10)
        duty = Duty()
        async with watching(redis_client, key_prefix) as watch, running_duty(watch, duty) as stop_it:
            await announce(board, HOST, 3)
            await eventually(lambda: duty.started == [3])
            await stop_it()
            assert duty.cancelled == [3]
