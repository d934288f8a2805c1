"""Waiting for a chat's turn: one HMGET per tick for every entry a worker holds, not one poll each.

An entry may run once its chat's last handled place (``chat_done``) is ``seq - 1``. All waiters of a
worker share a single polling loop, so a worker holding hundreds of waiting entries uses one Redis
connection for them.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from shared.aio import first_of, wait_stopped

__all__ = ["ChatTurns"]

log = structlog.get_logger()


class ChatTurns:
    """Resolves waiters as the chats they wait on advance."""

    def __init__(self, redis: aioredis.Redis, done_key: str, interval: float = 0.005) -> None:
        self._redis = redis
        self._done_key = done_key
        self._interval = interval
        self._waiters: dict[str, list[tuple[int, asyncio.Future[None]]]] = defaultdict(list)
        self._wake = asyncio.Event()

    async def wait(self, chat: str, seq: int) -> None:
        """Return once ``chat`` has handled every update before place ``seq``."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters[chat].append((seq, future))
        self._wake.set()
        try:
            await future
        finally:
            self._forget(chat, future)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll the chats that have waiters until ``stop``."""
        while not stop.is_set():
            if not self._waiters:
                self._wake.clear()
                await first_of(self._wake.wait(), stop.wait())
                continue
            try:
                await self._poll()
            except (RedisError, OSError) as exc:
                log.warning("chat_turns_poll_failed", reason=str(exc))
                await wait_stopped(stop, 0.5)
            await wait_stopped(stop, self._interval)

    async def _poll(self) -> None:
        chats = list(self._waiters)
        values = await self._redis.hmget(self._done_key, chats)
        for chat, value in zip(chats, values, strict=True):
            done = int(value or 0)
            for seq, future in self._waiters.get(chat, []):
                if seq - 1 <= done and not future.done():
                    future.set_result(None)

    def _forget(self, chat: str, future: asyncio.Future[None]) -> None:
        waiters = [item for item in self._waiters.get(chat, []) if item[1] is not future]
        if waiters:
            self._waiters[chat] = waiters
        else:
            self._waiters.pop(chat, None)
