"""Reads the inbox through the ``bot`` consumer group: per-chat order, ack after handling, no loss.

Ordering: every entry carries its place in its chat (``seq``). A worker handles an entry only once the
chat's last handled place is ``seq - 1``, so updates of one chat run one after another in Telegram's
order even when several workers hold them.

No loss: an entry is acknowledged only after its handler returned and the chat's place advanced. A
worker that dies leaves its entries pending; live workers keep their own pending entries fresh
(XCLAIM JUSTID resets the idle time), so entries that stay idle past ``claim_idle`` belong to a dead
worker and are claimed by a live one. An entry whose handler fails ``max_attempts`` times, or that was
delivered that many times (a crash it causes), goes to the dead-letter stream and its chat moves on.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from shared import metrics, streams
from shared.aio import first_of, wait_stopped
from shared.backoff import Backoff
from shared.inbox import InboxEntry
from shared.keys import Keys
from shared.streams.ordering import KeyTurns

__all__ = ["ConsumerConfig", "InboxConsumer"]

log = structlog.get_logger()

Handler = Callable[[InboxEntry], Awaitable[None]]

_COMPLETE = """
local done = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if done < tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
redis.call('HDEL', KEYS[3], ARGV[4])
return redis.call('XACK', KEYS[2], ARGV[3], ARGV[4])
"""


@dataclass(frozen=True, slots=True)
class ConsumerConfig:
    group: str = "bot"
    concurrency: int = 64
    block_ms: int = 1000
    claim_idle_ms: int = 15_000
    touch_interval: float = 2.0
    max_attempts: int = 5
    retry_backoff: Backoff = field(default_factory=lambda: Backoff(base=0.2, cap=5.0))
    drain_timeout: float = 20.0


class InboxConsumer:
    """One worker's share of the inbox."""

    def __init__(
        self, redis: aioredis.Redis, keys: Keys, name: str, handle: Handler, config: ConsumerConfig
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._name = name
        self._handle = handle
        self._config = config
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._complete = redis.register_script(_COMPLETE)
        self._turns = KeyTurns(redis, keys.chat_done)

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop``; then finish what is in flight (bounded), leaving the rest pending."""
        await streams.ensure_group(self._redis, self._keys.inbox, self._config.group)
        upkeep = [
            asyncio.create_task(self._claim_abandoned(stop), name=f"{self._name}:claim"),
            asyncio.create_task(self._touch_in_flight(stop), name=f"{self._name}:touch"),
            asyncio.create_task(self._turns.run(stop), name=f"{self._name}:turns"),
        ]
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
                entries = await streams.read_group(
                    self._redis,
                    self._config.group,
                    self._name,
                    self._keys.inbox,
                    cursor,
                    count=self._free_slots(),
                    block_ms=None if start_id == "0" else self._config.block_ms,
                )
            except (RedisError, OSError) as exc:
                log.warning("inbox_read_failed", reason=str(exc))
                await wait_stopped(stop, 1.0)
                continue
            for entry in entries:
                self._start(InboxEntry.from_fields(entry.entry_id, entry.fields), stop)
            if start_id == "0":
                if not entries:
                    return
                cursor = entries[-1].entry_id

    def _free_slots(self) -> int:
        return self._config.concurrency - len(self._in_flight)

    def _start(self, entry: InboxEntry, stop: asyncio.Event) -> None:
        if entry.entry_id in self._in_flight:
            return
        task = asyncio.create_task(self._process(entry, stop), name=f"{self._name}:{entry.entry_id}")
        self._in_flight[entry.entry_id] = task
        task.add_done_callback(lambda _: self._in_flight.pop(entry.entry_id, None))

    async def _process(self, entry: InboxEntry, stop: asyncio.Event) -> None:
        with structlog.contextvars.bound_contextvars(update_id=entry.update_id, chat=entry.chat):
            if not await self._wait_turn(entry, stop):
                return
            if await self._handle_with_retries(entry):
                await self._finish(entry)

    async def _wait_turn(self, entry: InboxEntry, stop: asyncio.Event) -> bool:
        """Wait until the previous update of this chat is handled. False if asked to stop meanwhile."""
        turn = asyncio.ensure_future(self._turns.wait(entry.chat, entry.seq))
        await first_of(turn, stop.wait())
        return not turn.cancelled()

    async def _handle_with_retries(self, entry: InboxEntry) -> bool:
        done = int(await self._redis.hget(self._keys.chat_done, entry.chat) or 0)
        if done >= entry.seq:
            log.info("update_already_handled", entry_id=entry.entry_id)
            return True
        while True:
            try:
                with metrics.HANDLER_SECONDS.time():
                    await self._handle(entry)
                metrics.UPDATES_HANDLED.inc()
                return True
            except Exception:
                attempts = int(await self._redis.hincrby(self._keys.inbox_failures, entry.entry_id, 1))
                log.exception("update_failed", attempt=attempts)
                if attempts >= self._config.max_attempts:
                    await self._dead_letter(entry, f"handler failed {attempts} times")
                    return True
                await asyncio.sleep(self._config.retry_backoff.delay(attempts - 1))

    async def _finish(self, entry: InboxEntry) -> None:
        keys = [self._keys.chat_done, self._keys.inbox, self._keys.inbox_failures]
        args: list[str | int] = [entry.chat, entry.seq, self._config.group, entry.entry_id]
        await asyncio.shield(self._complete(keys=keys, args=args))

    async def _dead_letter(self, entry: InboxEntry, reason: str) -> None:
        fields = {
            "update": json.dumps(entry.update),
            "chat": entry.chat,
            "reason": reason,
            "entry_id": entry.entry_id,
        }
        await streams.append(self._redis, self._keys.inbox_dead, fields)
        metrics.UPDATES_DEAD_LETTERED.inc()
        log.error("update_dead_lettered", entry_id=entry.entry_id, reason=reason)

    async def _touch_in_flight(self, stop: asyncio.Event) -> None:
        """Reset the idle time of entries this worker holds, so nobody mistakes them for abandoned."""
        while not await wait_stopped(stop, self._config.touch_interval):
            ids = list(self._in_flight)
            if not ids:
                continue
            try:
                await streams.touch(self._redis, self._keys.inbox, self._config.group, self._name, ids)
            except (RedisError, OSError) as exc:
                log.warning("inbox_touch_failed", reason=str(exc))

    async def _claim_abandoned(self, stop: asyncio.Event) -> None:
        """Take over entries idle longer than ``claim_idle``: their worker is gone."""
        interval = self._config.claim_idle_ms / 3000
        while not await wait_stopped(stop, interval):
            try:
                await self._claim_once(stop)
            except (RedisError, OSError) as exc:
                log.warning("inbox_claim_failed", reason=str(exc))

    async def _claim_once(self, stop: asyncio.Event) -> None:
        idle_ms = self._config.claim_idle_ms
        pending = await streams.pending_idle(self._redis, self._keys.inbox, self._config.group, idle_ms, 100)
        deliveries = {item.entry_id: item.deliveries for item in pending if item.consumer != self._name}
        if not deliveries:
            return
        claimed = await streams.claim(
            self._redis, self._keys.inbox, self._config.group, self._name, idle_ms, list(deliveries)
        )
        for raw in claimed:
            entry = InboxEntry.from_fields(raw.entry_id, raw.fields)
            log.info("update_claimed", entry_id=entry.entry_id, deliveries=deliveries[entry.entry_id])
            if deliveries[entry.entry_id] >= self._config.max_attempts:
                await self._dead_letter(entry, "delivered too often without being handled")
                await self._finish(entry)
            else:
                self._start(entry, stop)

    async def _drain(self) -> None:
        if not self._in_flight:
            return
        log.info("inbox_draining", in_flight=len(self._in_flight))
        tasks = list(self._in_flight.values())
        _, late = await asyncio.wait(tasks, timeout=self._config.drain_timeout)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
