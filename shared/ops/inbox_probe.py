"""How the inbox is doing: length, lag, pending entries per consumer, and dead letters.

Read-only (XLEN, XINFO, XPENDING), for the status command and the inbox gauges. The age of a pending
entry is measured from its stream id, i.e. from when the webhook accepted the update, so it says how
long a user has been waiting, not how long the current worker has held it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, cast

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from shared.keys import Keys

__all__ = ["BOT_GROUP", "ConsumerLoad", "InboxLoad", "read_inbox"]

BOT_GROUP = "bot"


@dataclass(frozen=True, slots=True)
class ConsumerLoad:
    """One bot worker's share of the inbox."""

    name: str
    pending: int
    idle_s: float
    oldest_pending_age_s: float | None


@dataclass(frozen=True, slots=True)
class InboxLoad:
    """The inbox stream and its ``bot`` group at one moment."""

    length: int
    lag: int | None
    pending: int
    dead_letters: int
    consumers: tuple[ConsumerLoad, ...]

    @property
    def oldest_pending_age_s(self) -> float | None:
        """Age of the oldest unacknowledged entry of any consumer, or None when nothing is pending."""
        ages = [c.oldest_pending_age_s for c in self.consumers if c.oldest_pending_age_s is not None]
        return max(ages) if ages else None


async def read_inbox(
    redis: aioredis.Redis, keys: Keys, group: str = BOT_GROUP, now: float | None = None
) -> InboxLoad:
    """The current :class:`InboxLoad`; a stream or group that does not exist yet reads as empty."""
    now = time.time() if now is None else now
    length = int(await redis.xlen(keys.inbox))
    dead = int(await redis.xlen(keys.inbox_dead))
    info = await _group_info(redis, keys.inbox, group)
    if info is None:
        return InboxLoad(length, length, 0, dead, ())
    consumers = await _consumers(redis, keys.inbox, group, now)
    lag = info.get("lag")
    return InboxLoad(length, None if lag is None else int(lag), int(info["pending"]), dead, consumers)


async def _group_info(redis: aioredis.Redis, stream: str, group: str) -> dict[str, Any] | None:
    try:
        groups = await redis.xinfo_groups(stream)
    except ResponseError:  # no such stream
        return None
    return next((g for g in groups if _text(g["name"]) == group), None)


async def _consumers(redis: aioredis.Redis, stream: str, group: str, now: float) -> tuple[ConsumerLoad, ...]:
    rows = await redis.xinfo_consumers(stream, group)
    loads = []
    for row in rows:
        name, pending = _text(row["name"]), int(row["pending"])
        oldest = await _oldest_age(redis, stream, group, name, now) if pending else None
        loads.append(ConsumerLoad(name, pending, int(row["idle"]) / 1000, oldest))
    return tuple(sorted(loads, key=lambda load: load.name))


async def _oldest_age(
    redis: aioredis.Redis, stream: str, group: str, consumer: str, now: float
) -> float | None:
    entries = cast(
        list[dict[str, Any]], await redis.xpending_range(stream, group, "-", "+", 1, consumername=consumer)
    )
    if not entries:
        return None
    millis = int(_text(entries[0]["message_id"]).split("-", 1)[0])
    return max(0.0, now - millis / 1000)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
