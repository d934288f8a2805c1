"""Reads the inbox through the ``bot`` consumer group: per-chat order, ack after handling, no loss.

The mechanics are :class:`shared.streams.consumer.StreamConsumer`'s; this module binds them to the
inbox. Ordering: every entry carries its place in its chat (``seq``), and the consumer's
:class:`~shared.streams.ordering.KeyOrder` hook runs an entry only once the chat's last handled place
(``chat_done``) is ``seq - 1``, so updates of one chat run one after another in Telegram's order even
when several workers hold them.

No loss: an entry is acknowledged only after its handler returned and the chat's place advanced, in
one script. A worker that dies leaves its entries pending; live workers keep theirs fresh, so entries
idle past ``claim_idle`` are claimed by a live one. An update whose handler fails ``max_attempts``
times, or that was delivered that many times (a crash it causes), goes to the dead-letter stream
``{inbox}:dead`` with one admin alert, and its chat moves on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import redis.asyncio as aioredis
import structlog

from shared import metrics
from shared.inbox import InboxEntry
from shared.keys import Keys
from shared.ops.alerts import AlertLog
from shared.streams import Fields
from shared.streams import consumer as stream_consumer
from shared.streams.consumer import StreamConsumer, StreamSource
from shared.streams.dead_letter import DeadLetters, Origin
from shared.streams.ordering import KeyOrder, Place

__all__ = ["ConsumerConfig", "InboxConsumer"]

log = structlog.get_logger()

Handler = Callable[[InboxEntry], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ConsumerConfig(stream_consumer.ConsumerConfig):
    """The shared consumer's pacing, plus the inbox's consumer group."""

    group: str = "bot"


def _place(fields: Fields) -> Place:
    """An inbox entry's chat and its place in it, as the accepting script wrote them."""
    return Place(fields[b"chat"].decode(), int(fields[b"seq"]))


class InboxConsumer:
    """One worker's share of the inbox."""

    def __init__(
        self, redis: aioredis.Redis, keys: Keys, name: str, handle: Handler, config: ConsumerConfig
    ) -> None:
        self._handle = handle
        dead = DeadLetters(
            redis,
            AlertLog(redis, keys),
            stream=keys.inbox_dead,
            origin=Origin.of_consumer(name),
            on_dead=metrics.UPDATES_DEAD_LETTERED.inc,
        )
        self._consumer = StreamConsumer(
            redis,
            StreamSource(keys.inbox, config.group, keys.inbox_failures),
            name,
            decode=InboxEntry.from_fields,
            handle=self._timed,
            dead_letters=dead,
            config=config,
            order=KeyOrder(keys.chat_done, _place),
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop``; then finish what is in flight (bounded), leaving the rest pending."""
        await self._consumer.run(stop)

    async def _timed(self, entry: InboxEntry) -> None:
        with metrics.HANDLER_SECONDS.time():
            await self._handle(entry)
        metrics.UPDATES_HANDLED.inc()
