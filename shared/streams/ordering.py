"""Per-key order for a stream consumer: the hook a stream opts into, and the turns its entries wait for.

A stream whose entries must run in order per key (the inbox: per chat) gives each entry a
:class:`Place`, its key and its 1-based sequence number in that key, written by the producer. The
consumer runs an entry once the key's last handled place (a hash ``done``: key → seq) is ``seq - 1``,
and its acknowledging script advances that place in the same step as the XACK.

All waiters of a consumer share a single polling loop (:class:`KeyTurns`): one HMGET per tick for every
entry it holds, so a worker holding hundreds of waiting entries uses one Redis connection for them.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from shared.aio import first_of, wait_stopped
from shared.streams.commands import Fields

__all__ = ["KeyOrder", "KeyTurns", "Place"]

log = structlog.get_logger()


@dataclass(frozen=True, slots=True)
class Place:
    """Where an entry stands in its key's order: ``seq`` 1, 2, … per ``key``."""

    key: str
    seq: int


@dataclass(frozen=True, slots=True)
class KeyOrder:
    """The ordering hook: where each entry stands (read from its raw fields), and the places handled.

    The place is read from the raw fields, not the decoded message, so that an entry whose payload
    cannot be decoded still moves its key on when it is dead-lettered.
    """

    done: str
    place: Callable[[Fields], Place]


class KeyTurns:
    """Resolves waiters as the keys they wait on advance."""

    def __init__(self, redis: aioredis.Redis, done_key: str, interval: float = 0.005) -> None:
        self._redis = redis
        self._done_key = done_key
        self._interval = interval
        self._waiters: dict[str, list[tuple[int, asyncio.Future[None]]]] = defaultdict(list)
        self._wake = asyncio.Event()

    async def wait(self, key: str, seq: int) -> None:
        """Return once ``key`` has handled every entry before place ``seq``."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters[key].append((seq, future))
        self._wake.set()
        try:
            await future
        finally:
            self._forget(key, future)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll the keys that have waiters until ``stop``."""
        while not stop.is_set():
            if not self._waiters:
                self._wake.clear()
                await first_of(self._wake.wait(), stop.wait())
                continue
            try:
                await self._poll()
            except (RedisError, OSError) as exc:
                log.warning("stream_turns_poll_failed", reason=str(exc))
                await wait_stopped(stop, 0.5)
            await wait_stopped(stop, self._interval)

    async def _poll(self) -> None:
        keys = list(self._waiters)
        values = await self._redis.hmget(self._done_key, keys)
        for key, value in zip(keys, values, strict=True):
            done = int(value or 0)
            for seq, future in self._waiters.get(key, []):
                if seq - 1 <= done and not future.done():
                    future.set_result(None)

    def _forget(self, key: str, future: asyncio.Future[None]) -> None:
        waiters = [item for item in self._waiters.get(key, []) if item[1] is not future]
        if waiters:
            self._waiters[key] = waiters
        else:
            self._waiters.pop(key, None)
