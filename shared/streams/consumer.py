"""The one stream consumer: a consumer group read with claims, an attempt limit, dead letters, order.

Reading: a consumer first re-reads its own pending entries (from ``0``: what it held before a restart
under the same name), then new ones (``>``), with at most ``concurrency`` runs in flight. Each entry is
decoded into the stream's typed message before anything else sees it.

No loss: an entry is acknowledged only after its handler returned (or it was dead-lettered). Live
consumers keep the entries they run fresh (XCLAIM JUSTID resets the idle time five times per
``claim_idle``), so an entry idle past ``claim_idle`` belongs to a consumer that is gone, or to no
run of this one, and is claimed. The margin is what keeps one entry from running twice at once: a
live consumer's entry is claimed only if its event loop stalls for four fifths of ``claim_idle``. A
consumer that cannot refresh its entries for that long (Redis gone, its host cut off) cancels its runs
first, leaving them pending: a run whose entry may have been claimed must not go on sending.

Time limit (optional, ``handle_timeout``): a run that outlasts it is cancelled and its entry
dead-lettered at once, with a log line and one alert, so a hung handler cannot hold its key's order.

Attempt limit: a failing handler is retried in place with the configured backoff; failures are
counted in a hash that outlives the process. After ``max_attempts`` failures, or ``max_attempts``
runs that began and never finished (an entry that crashes its consumer), or at once when it cannot be
decoded, the entry goes to the dead-letter stream with one alert (:mod:`.dead_letter`) and is
acknowledged: nothing is retried forever. Runs are counted when the handler starts, not deliveries:
a worker killed from outside, again and again, re-reads every entry it held (each re-read is a
delivery), most of them only waiting for their turn; they are innocent and must not be given up on.

Order (optional, :class:`~shared.streams.ordering.KeyOrder`): an entry runs once the entries before it
in its key are handled, and its acknowledgement advances the key in the same script.

Stop: reading ends at ``stop``; runs in flight get ``drain_timeout`` to finish, then are cancelled and
stay pending, to be re-read or claimed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from shared.aio import first_of, unless_stopped, wait_stopped
from shared.backoff import Backoff
from shared.streams.commands import Entry, Fields, claim, ensure_group, pending_idle, read_group, touch
from shared.streams.dead_letter import DeadLetters
from shared.streams.ordering import KeyOrder, KeyTurns, Place

__all__ = ["ConsumerConfig", "Message", "StreamConsumer", "StreamSource"]

log = structlog.get_logger()


class Message(Protocol):
    """A decoded stream entry: what it adds to the log context of its run."""

    def log_context(self) -> Mapping[str, object]:
        """Fields bound to every log line about this entry (ids, never user content)."""
        ...


M = TypeVar("M", bound=Message)

# KEYS: stream, failures[, done]  ARGV: group, entry id[, order key, seq]
_ACK = """
if KEYS[3] then
  local done = tonumber(redis.call('HGET', KEYS[3], ARGV[3]) or '0')
  if done < tonumber(ARGV[4]) then
    redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
  end
end
redis.call('HDEL', KEYS[2], ARGV[2], ARGV[2] .. '/runs')
return redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
"""


@dataclass(frozen=True, slots=True)
class ConsumerConfig:
    """How a consumer paces itself; the defaults suit the inbox."""

    concurrency: int = 64
    block_ms: int = 1000
    claim_idle_ms: int = 15_000
    max_attempts: int = 5
    retry_backoff: Backoff = field(default_factory=lambda: Backoff(base=0.2, cap=5.0))
    drain_timeout: float = 20.0
    handle_timeout: float | None = None

    @property
    def touch_interval(self) -> float:
        """Seconds between resets of the idle time of entries in flight: a fifth of ``claim_idle``."""
        return self.claim_idle_ms / 5000

    @property
    def fence_after(self) -> float:
        """Seconds without a refresh after which runs are cancelled: four fifths of ``claim_idle``, before
        any other consumer may claim their entries."""
        return self.claim_idle_ms * 4 / 5000


@dataclass(frozen=True, slots=True)
class StreamSource:
    """What a consumer reads: the stream, its group, and the hash of failed attempts per entry."""

    stream: str
    group: str
    failures: str


class StreamConsumer(Generic[M]):
    """One consumer's share of a stream: ``decode`` each entry, ``handle`` it, acknowledge it."""

    def __init__(
        self,
        redis: aioredis.Redis,
        source: StreamSource,
        name: str,
        *,
        decode: Callable[[str, Fields], M],
        handle: Callable[[M], Awaitable[None]],
        dead_letters: DeadLetters,
        config: ConsumerConfig,
        order: KeyOrder | None = None,
    ) -> None:
        self._redis = redis
        self._source = source
        self._name = name
        self._decode = decode
        self._handle = handle
        self._dead = dead_letters
        self._config = config
        self._order = order
        self._turns = KeyTurns(redis, order.done) if order is not None else None
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._ack = redis.register_script(_ACK)

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop``; then finish what is in flight (bounded), leaving the rest pending."""
        await ensure_group(self._redis, self._source.stream, self._source.group)
        upkeep = [
            asyncio.create_task(self._claim_abandoned(stop), name=f"{self._name}:claim"),
            asyncio.create_task(self._touch_in_flight(stop), name=f"{self._name}:touch"),
        ]
        if self._turns is not None:
            upkeep.append(asyncio.create_task(self._turns.run(stop), name=f"{self._name}:turns"))
        try:
            await self._read(stop, start_id="0")
            await self._read(stop, start_id=">")
        finally:
            await self._drain()
            for task in upkeep:
                task.cancel()
            await asyncio.gather(*upkeep, return_exceptions=True)

    async def _read(self, stop: asyncio.Event, start_id: str) -> None:
        """Read this consumer's own pending entries (from ``0`` until none are left) or new ones (``>``)."""
        cursor = start_id
        while not stop.is_set():
            if self._free_slots() <= 0:
                await asyncio.wait(list(self._in_flight.values()), return_when=asyncio.FIRST_COMPLETED)
                continue
            try:
                block = None if start_id == "0" else self._config.block_ms
                read = read_group(
                    self._redis,
                    self._source.group,
                    self._name,
                    self._source.stream,
                    cursor,
                    count=self._free_slots(),
                    block_ms=block,
                )
                entries = await unless_stopped(read, stop)
            except (RedisError, OSError) as exc:
                log.warning("stream_read_failed", stream=self._source.stream, reason=str(exc))
                await wait_stopped(stop, 1.0)
                continue
            if entries is None:
                return
            for entry in entries:
                self._start(entry, stop, deliveries=1)
            if start_id == "0":
                if not entries:
                    return
                cursor = entries[-1].entry_id

    def _free_slots(self) -> int:
        return self._config.concurrency - len(self._in_flight)

    def _start(self, entry: Entry, stop: asyncio.Event, deliveries: int) -> None:
        if entry.entry_id in self._in_flight:
            return
        run = self._run(entry, stop, deliveries)
        task = asyncio.create_task(run, name=f"{self._name}:{entry.entry_id}")
        self._in_flight[entry.entry_id] = task
        task.add_done_callback(lambda _: self._in_flight.pop(entry.entry_id, None))

    async def _run(self, entry: Entry, stop: asyncio.Event, deliveries: int) -> None:
        """One entry from decoding to acknowledgement; a Redis failure leaves it pending, to be claimed."""
        with structlog.contextvars.bound_contextvars(stream=self._source.stream, entry_id=entry.entry_id):
            try:
                await self._process(entry, stop, deliveries)
            except (RedisError, OSError) as exc:
                log.warning("stream_entry_left_pending", reason=str(exc))

    async def _process(self, entry: Entry, stop: asyncio.Event, deliveries: int) -> None:
        try:
            place = self._order.place(entry.fields) if self._order is not None else None
        except (KeyError, ValueError):  # no place: it cannot run in order, nor move its key on
            await self._give_up(entry, None, "no place in its order")
            return
        if not await self._wait_turn(place, stop):
            return
        try:
            message = self._decode(entry.entry_id, entry.fields)
        except Exception as exc:  # any malformed entry: it can never be handled, so it must not block
            await self._give_up(entry, place, f"undecodable ({type(exc).__name__})")
            return
        with structlog.contextvars.bound_contextvars(**message.log_context()):
            log.debug("stream_entry_running", deliveries=deliveries, consumer=self._name)
            await self._handle_with_retries(entry, message, place)
            await self._finish(entry.entry_id, place)

    async def _wait_turn(self, place: Place | None, stop: asyncio.Event) -> bool:
        """Wait until the entries before this one in its key are handled. False if stopped meanwhile."""
        if place is None or self._turns is None:
            return True
        turn = asyncio.ensure_future(self._turns.wait(place.key, place.seq))
        await first_of(turn, stop.wait())
        return not turn.cancelled()

    async def _handle_with_retries(self, entry: Entry, message: M, place: Place | None) -> None:
        """Handle the entry, retrying failures until the attempt limit; then it is dead-lettered."""
        if await self._handled_before(place):
            log.info("stream_entry_already_handled")
            return
        unfinished = int(await self._redis.hincrby(self._source.failures, f"{entry.entry_id}/runs", 1)) - 1
        if unfinished >= self._config.max_attempts:
            await self._dead.add(self._source.stream, entry, f"started {unfinished} times and never finished")
            return
        while True:
            limit = asyncio.timeout(self._config.handle_timeout)
            try:
                async with limit:
                    await self._handle(message)
                return
            except Exception as exc:  # the top of this entry's run: count it, retry or give up
                if isinstance(exc, TimeoutError) and limit.expired():
                    await self._time_out(entry)
                    return
                failures = self._source.failures
                attempts = int(await self._redis.hincrby(failures, entry.entry_id, 1))
                log.exception("stream_entry_failed", attempt=attempts)
                if attempts >= self._config.max_attempts:
                    await self._dead.add(self._source.stream, entry, f"handler failed {attempts} times")
                    return
                await asyncio.sleep(self._config.retry_backoff.delay(attempts - 1))

    async def _time_out(self, entry: Entry) -> None:
        seconds = self._config.handle_timeout
        log.error("stream_entry_timed_out", seconds=seconds)
        await self._dead.add(self._source.stream, entry, f"handler ran longer than {seconds} s")

    async def _handled_before(self, place: Place | None) -> bool:
        """Whether the key already moved past this place (a run that lost its entry to a claim handled it)."""
        if place is None or self._order is None:
            return False
        return int(await self._redis.hget(self._order.done, place.key) or 0) >= place.seq

    async def _give_up(self, entry: Entry, place: Place | None, reason: str) -> None:
        await self._dead.add(self._source.stream, entry, reason)
        await self._finish(entry.entry_id, place)

    async def _finish(self, entry_id: str, place: Place | None) -> None:
        keys = [self._source.stream, self._source.failures]
        args: list[str | int] = [self._source.group, entry_id]
        if place is not None and self._order is not None:
            keys.append(self._order.done)
            args += [place.key, place.seq]
        await asyncio.shield(self._ack(keys=keys, args=args))

    async def _touch_in_flight(self, stop: asyncio.Event) -> None:
        """Reset the idle time of entries this consumer runs, so nobody mistakes them for abandoned.

        Self-fencing: when the entries could not be refreshed for ``fence_after`` (Redis unreachable,
        this host cut off), another consumer may claim them at any moment, so every run in flight is
        cancelled and its entry left pending: it then runs there, not in two places at once.
        """
        interval = self._config.touch_interval
        fresh_until = asyncio.get_running_loop().time() + self._config.fence_after
        while not await wait_stopped(stop, interval):
            now = asyncio.get_running_loop().time()
            ids = list(self._in_flight)
            if not ids:
                fresh_until = now + self._config.fence_after
                continue
            try:
                async with asyncio.timeout(interval / 2):  # a touch that hangs must not hold the fence off
                    await touch(self._redis, self._source.stream, self._source.group, self._name, ids)
                fresh_until = now + self._config.fence_after
            except (RedisError, OSError, TimeoutError) as exc:
                log.warning("stream_touch_failed", stream=self._source.stream, reason=str(exc) or "timeout")
                if asyncio.get_running_loop().time() >= fresh_until:
                    self._fence_runs()

    def _fence_runs(self) -> None:
        """Cancel every run in flight: this consumer can no longer vouch that its entries are its own."""
        log.warning("stream_runs_fenced", stream=self._source.stream, runs=len(self._in_flight))
        for task in self._in_flight.values():
            task.cancel()

    async def _claim_abandoned(self, stop: asyncio.Event) -> None:
        """Take over entries idle longer than ``claim_idle``: no live run holds them."""
        interval = self._config.claim_idle_ms / 3000
        while not await wait_stopped(stop, interval):
            try:
                await self._claim_once(stop)
            except (RedisError, OSError) as exc:
                log.warning("stream_claim_failed", stream=self._source.stream, reason=str(exc))

    async def _claim_once(self, stop: asyncio.Event) -> None:
        idle_ms, stream, group = self._config.claim_idle_ms, self._source.stream, self._source.group
        pending = await pending_idle(self._redis, stream, group, idle_ms, 100)
        # Own entries count too when no run holds them (a run that lost Redis left them pending).
        deliveries = {
            item.entry_id: item.deliveries for item in pending if item.entry_id not in self._in_flight
        }
        if not deliveries:
            return
        for entry in await claim(self._redis, stream, group, self._name, idle_ms, list(deliveries)):
            log.info("stream_entry_claimed", entry_id=entry.entry_id, deliveries=deliveries[entry.entry_id])
            self._start(entry, stop, deliveries=deliveries[entry.entry_id])

    async def _drain(self) -> None:
        if not self._in_flight:
            return
        log.info("stream_draining", stream=self._source.stream, in_flight=len(self._in_flight))
        tasks = list(self._in_flight.values())
        _, late = await asyncio.wait(tasks, timeout=self._config.drain_timeout)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
