"""Typed wrappers over the Redis stream commands the consumers use.

redis-py returns loosely typed nested lists; this module is the one place that unpacks them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

__all__ = [
    "Entry",
    "Fields",
    "Pending",
    "append",
    "claim",
    "ensure_group",
    "pending_idle",
    "read_group",
    "touch",
]

Fields = dict[bytes, bytes]


@dataclass(frozen=True, slots=True)
class Entry:
    entry_id: str
    fields: Fields


@dataclass(frozen=True, slots=True)
class Pending:
    entry_id: str
    consumer: str
    idle_ms: int
    deliveries: int


async def ensure_group(redis: aioredis.Redis, stream: str, group: str) -> None:
    """Create the consumer group (and the stream) unless they exist."""
    try:
        await redis.xgroup_create(stream, group, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


async def read_group(
    redis: aioredis.Redis,
    group: str,
    consumer: str,
    stream: str,
    cursor: str,
    count: int,
    block_ms: int | None,
) -> list[Entry]:
    """XREADGROUP one stream; ``cursor`` is ``>`` for new entries or an id to re-read own pending ones."""
    raw = await redis.xreadgroup(group, consumer, {stream: cursor}, count=count, block=block_ms)
    if not raw:
        return []
    batch = cast(list[Any], raw)[0][1]
    return _entries(batch)


async def claim(
    redis: aioredis.Redis, stream: str, group: str, consumer: str, min_idle_ms: int, ids: Sequence[str]
) -> list[Entry]:
    """XCLAIM ``ids`` for ``consumer`` if still idle that long; deleted entries are left out."""
    raw = await redis.xclaim(stream, group, consumer, min_idle_ms, list[Any](ids))
    return _entries(cast(list[Any], raw))


async def touch(redis: aioredis.Redis, stream: str, group: str, consumer: str, ids: Sequence[str]) -> None:
    """Reset the idle time of entries ``consumer`` holds, without counting a delivery."""
    await redis.xclaim(stream, group, consumer, 0, list[Any](ids), justid=True)


async def pending_idle(
    redis: aioredis.Redis, stream: str, group: str, min_idle_ms: int, count: int
) -> list[Pending]:
    """Pending entries idle for at least ``min_idle_ms``, oldest first."""
    raw = await redis.xpending_range(stream, group, "-", "+", count, idle=min_idle_ms)
    return [
        Pending(
            entry_id=_text(item["message_id"]),
            consumer=_text(item["consumer"]),
            idle_ms=int(item["time_since_delivered"]),
            deliveries=int(item["times_delivered"]),
        )
        for item in cast(list[dict[str, Any]], raw)
    ]


async def append(
    redis: aioredis.Redis, stream: str, fields: Mapping[str, str | bytes], maxlen: int | None = None
) -> str:
    """XADD one entry; returns its id. ``maxlen`` trims the stream approximately (``MAXLEN ~``)."""
    raw = await redis.xadd(stream, cast(dict[Any, Any], fields), maxlen=maxlen, approximate=True)
    return _text(raw)


def _entries(batch: list[Any]) -> list[Entry]:
    return [Entry(_text(entry_id), fields) for entry_id, fields in batch if fields]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
