"""Sends admin broadcasts from every bot worker: paced, resumable, each recipient at most once.

Recipients are claimed one at a time from PostgreSQL (``shared.money.BroadcastStore``), so workers
share the list and a restarted worker picks up where the last one stopped. Messages are paced to
``rate`` per second across all workers by a per-second counter in Redis (Telegram allows about 30
per second in total; the default 20 leaves room for everyone else's replies). On stop, a claimed
recipient whose message has not gone out is put back. When a broadcast has nothing left, the worker
that closes it sends the admin the delivered / blocked / failed counts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta

import redis.asyncio as aioredis
import structlog
from telegram import Bot
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from services.bot.prefs import Preferences
from shared.aio import wait_stopped
from shared.chat.texts import Texts
from shared.keys import Keys
from shared.money import BroadcastStore, Claimed, Delivery, Finished

__all__ = ["Broadcaster", "Pacer"]

log = structlog.get_logger()

IDLE_SECONDS = 1.0
"""How often an idle worker looks for a new broadcast."""


class Pacer:
    """At most ``rate`` broadcast messages per wall-clock second, counted in Redis by every sender."""

    def __init__(
        self, redis: aioredis.Redis, keys: Keys, rate: float, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._per_second = max(1, int(rate))
        self._clock = clock

    async def wait(self, stop: asyncio.Event) -> bool:
        """Wait for a sending slot; False when ``stop`` was set first."""
        while not stop.is_set():
            now = self._clock()
            key = self._keys.broadcast_pace(int(now))
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, 5)
                count, _ = await pipe.execute()
            if int(count) <= self._per_second:
                return True
            await wait_stopped(stop, 1.0 - (now % 1.0))
        return False


class Broadcaster:
    """The per-worker loop: claim a recipient, wait for a slot, send, record; report finished ones."""

    def __init__(
        self, store: BroadcastStore, bot: Bot, pacer: Pacer, texts: Texts, prefs: Preferences
    ) -> None:
        self._store = store
        self._bot = bot
        self._pacer = pacer
        self._texts = texts
        self._prefs = prefs

    async def run(self, stop: asyncio.Event) -> None:
        """Send until ``stop`` is set; the message in flight is finished and recorded first."""
        while not stop.is_set():
            claimed = await self._store.claim()
            if claimed is None:
                for finished in await self._store.finish():
                    await self._report(finished)
                await wait_stopped(stop, IDLE_SECONDS)
                continue
            if not await self._pacer.wait(stop):
                await self._store.release(claimed)
                return
            await self._deliver(claimed, stop)

    async def _deliver(self, claimed: Claimed, stop: asyncio.Event) -> None:
        try:
            await self._bot.send_message(claimed.user_id, claimed.text)
        except RetryAfter as exc:
            await self._store.release(claimed)
            log.warning("broadcast_flood_wait", seconds=str(exc.retry_after))
            delay = exc.retry_after
            await wait_stopped(stop, delay.total_seconds() if isinstance(delay, timedelta) else float(delay))
            return
        except Forbidden:
            delivery = Delivery.BLOCKED
        except BadRequest:
            delivery = Delivery.FAILED
        except TelegramError as exc:  # a timeout may have delivered it: never send it twice
            log.warning("broadcast_send_unknown", error=type(exc).__name__)
            delivery = Delivery.FAILED
        else:
            delivery = Delivery.DELIVERED
        await self._store.record(claimed, delivery)

    async def _report(self, finished: Finished) -> None:
        language = await self._prefs.language(finished.admin_id, None)
        text = self._texts.get(
            "admin_broadcast_done",
            language,
            id=finished.broadcast_id,
            delivered=finished.count(Delivery.DELIVERED),
            blocked=finished.count(Delivery.BLOCKED),
            failed=finished.count(Delivery.FAILED),
        )
        log.info("broadcast_done", broadcast=finished.broadcast_id, counts=finished.counts)
        try:
            await self._bot.send_message(finished.admin_id, text)
        except TelegramError as exc:
            log.warning("broadcast_report_failed", error=type(exc).__name__)
