"""The shared stream consumer against real Redis: give-ups on claim and on decoding, order, drain."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import redis.asyncio as aioredis

from shared.backoff import Backoff
from shared.keys import Keys
from shared.ops.alerts import AlertKind, AlertLog
from shared.streams import Fields, append
from shared.streams.consumer import ConsumerConfig, StreamConsumer, StreamSource
from shared.streams.dead_letter import DeadLetters, Origin
from shared.streams.ordering import KeyOrder, Place
from tests.conftest import PrivateRedis

FAST = ConsumerConfig(block_ms=50, claim_idle_ms=300, max_attempts=3, retry_backoff=Backoff(0.01, 0.02))
GROUP = "g"


@dataclass(frozen=True)
class Note:
    """A test message: a key, its place and a number."""

    entry_id: str
    key: str
    seq: int
    n: int

    @classmethod
    def decode(cls, entry_id: str, fields: Fields) -> Note:
        return cls(entry_id, fields[b"key"].decode(), int(fields[b"seq"]), int(fields[b"n"]))

    def log_context(self) -> dict[str, object]:
        return {"n": self.n}


def place(fields: Fields) -> Place:
    return Place(fields[b"key"].decode(), int(fields[b"seq"]))


class Bench:
    """A stream, its dead letters and alerts under one test prefix."""

    def __init__(self, redis: aioredis.Redis, prefix: str) -> None:
        self.redis = redis
        self.keys = Keys(prefix)
        self.stream = f"{prefix}notes"
        self.dead = f"{prefix}notes-dead"
        self.done = f"{prefix}notes-done"

    def consumer(
        self,
        handle: Callable[[Note], Awaitable[None]],
        name: str = "h/w",
        ordered: bool = True,
        config: ConsumerConfig = FAST,
    ) -> StreamConsumer[Note]:
        dead = DeadLetters(
            self.redis, AlertLog(self.redis, self.keys), stream=self.dead, origin=Origin.of_consumer(name)
        )
        return StreamConsumer(
            self.redis,
            StreamSource(self.stream, GROUP, f"{self.stream}-failures"),
            name,
            decode=Note.decode,
            handle=handle,
            dead_letters=dead,
            config=config,
            order=KeyOrder(self.done, place) if ordered else None,
        )

    async def add(self, key: str, seq: int, n: str) -> str:
        return await append(self.redis, self.stream, {"key": key, "seq": str(seq), "n": n})

    async def dead_letters(self) -> list[Fields]:
        return [fields for _, fields in await self.redis.xrange(self.dead)]

    async def alerts(self) -> int:
        recent = await AlertLog(self.redis, self.keys).recent()
        return sum(1 for alert in recent if alert.kind is AlertKind.DEAD_LETTERED)


async def run_until(consumer: StreamConsumer[Note], done: asyncio.Event, limit_s: float = 10) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        await asyncio.wait_for(done.wait(), limit_s)
    finally:
        stop.set()
        await task


class TestStreamConsumer:
    async def test_entry_that_crashed_its_consumers_is_dead_lettered_without_running(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """An entry whose handler began max_attempts times and never finished is given up on unrun."""
        bench = Bench(redis_client, key_prefix)
        poison = await bench.add("k", 1, "1")
        await bench.add("k", 2, "2")
        await redis_client.hset(f"{bench.stream}-failures", f"{poison}/runs", FAST.max_attempts)
        handled: list[int] = []
        done = asyncio.Event()

        async def handle(note: Note) -> None:
            handled.append(note.n)
            done.set()

        await run_until(bench.consumer(handle), done)
        assert handled == [2]
        [dead] = await bench.dead_letters()
        assert dead[b"n"] == b"1" and b"never finished" in dead[b"reason"]
        assert await bench.alerts() == 1
        assert await redis_client.hlen(f"{bench.stream}-failures") == 0  # acknowledged, counters gone

    async def test_an_entry_re_read_often_but_never_started_is_handled(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """A worker killed again and again re-reads what it held: deliveries pile up, nothing ran."""
        bench = Bench(redis_client, key_prefix)
        entry = await bench.add("k", 1, "1")
        await redis_client.xgroup_create(bench.stream, GROUP, id="0")
        await redis_client.xreadgroup(GROUP, "killed", {bench.stream: ">"}, count=1)
        for _ in range(FAST.max_attempts * 2):  # each XCLAIM counts one more delivery
            await redis_client.xclaim(bench.stream, GROUP, "killed", 0, [entry])
        handled: list[int] = []
        done = asyncio.Event()

        async def handle(note: Note) -> None:
            handled.append(note.n)
            done.set()

        await run_until(bench.consumer(handle), done)
        assert handled == [1] and await bench.dead_letters() == []

    async def test_undecodable_entry_moves_its_key_on(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """A malformed entry is dead-lettered at once and the next entry of its key still runs."""
        bench = Bench(redis_client, key_prefix)
        await bench.add("k", 1, "not a number")
        await bench.add("k", 2, "2")
        handled: list[int] = []
        done = asyncio.Event()

        async def handle(note: Note) -> None:
            handled.append(note.n)
            done.set()

        await run_until(bench.consumer(handle), done)
        assert handled == [2]
        [dead] = await bench.dead_letters()
        assert dead[b"reason"] == b"undecodable (ValueError)" and await bench.alerts() == 1
        assert await redis_client.hget(bench.done, "k") == b"2"

    async def test_stop_drains_runs_in_flight(self, redis_client: aioredis.Redis, key_prefix: str) -> None:
        """On stop, a run in flight finishes and is acknowledged before ``run`` returns."""
        bench = Bench(redis_client, key_prefix)
        await bench.add("k", 1, "1")
        started, finished = asyncio.Event(), asyncio.Event()

        async def handle(note: Note) -> None:
            started.set()
            await asyncio.sleep(0.3)
            finished.set()

        await run_until(bench.consumer(handle, ordered=False), started)
        assert finished.is_set()
        assert (await redis_client.xpending(bench.stream, GROUP))["pending"] == 0

    async def test_live_run_is_never_claimed_by_another_consumer(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """A run longer than ``claim_idle`` stays its consumer's: the entry is handled once, not twice."""
        bench = Bench(redis_client, key_prefix)
        await bench.add("k", 1, "1")
        runs: list[str] = []
        first_run, second_run = asyncio.Event(), asyncio.Event()

        async def handle(note: Note) -> None:
            runs.append(note.entry_id)
            (second_run if first_run.is_set() else first_run).set()
            await asyncio.sleep(FAST.claim_idle_ms / 1000 * 4)

        stop = asyncio.Event()
        first = asyncio.create_task(bench.consumer(handle, name="h/first", ordered=False).run(stop))
        await first_run.wait()
        second = asyncio.create_task(bench.consumer(handle, name="h/second", ordered=False).run(stop))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(second_run.wait(), FAST.claim_idle_ms / 1000 * 5)
        stop.set()
        await asyncio.gather(first, second)
        assert len(runs) == 1, f"one entry ran {len(runs)} times at once"

    async def test_runs_are_cancelled_when_their_entries_cannot_be_refreshed(
        self, private_redis: PrivateRedis
    ) -> None:
        """Redis gone past four fifths of ``claim_idle``: another consumer may claim the entry any
        moment, so this consumer's run is cancelled instead of going on in a second place."""
        client = aioredis.Redis(port=private_redis.port, socket_connect_timeout=0.2, socket_timeout=0.5)
        bench = Bench(client, "fence:")
        await bench.add("k", 1, "1")
        running, cancelled = asyncio.Event(), asyncio.Event()

        async def handle(note: Note) -> None:
            running.set()
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                cancelled.set()
                raise

        stop = asyncio.Event()
        consumer = asyncio.create_task(bench.consumer(handle, ordered=False).run(stop))
        await asyncio.wait_for(running.wait(), 10)
        private_redis.stop()
        try:
            await asyncio.wait_for(cancelled.wait(), FAST.claim_idle_ms / 1000 * 10)
        finally:
            stop.set()
            await consumer
            await client.aclose()

    async def test_hung_run_times_out_and_its_key_moves_on(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """A handler that never returns is cut at handle_timeout, dead-lettered once, and the next runs."""
        bench = Bench(redis_client, key_prefix)
        await bench.add("k", 1, "1")
        await bench.add("k", 2, "2")
        handled: list[int] = []
        done = asyncio.Event()

        async def handle(note: Note) -> None:
            if note.n == 1:
                await asyncio.Event().wait()  # hangs for good
            handled.append(note.n)
            done.set()

        consumer = bench.consumer(handle, config=dataclasses.replace(FAST, handle_timeout=0.2))
        await run_until(consumer, done, limit_s=5)
        assert handled == [2]
        [dead] = await bench.dead_letters()
        assert b"longer than 0.2 s" in dead[b"reason"]
        assert await bench.alerts() == 1
