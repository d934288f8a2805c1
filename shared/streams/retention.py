"""Time-based trimming of the streams: each keeps its entries for a stated time, never an unfinished one.

A stream is trimmed with ``XTRIM MINID ~`` below ``now - keep_seconds``, but never above what a consumer
group still needs: its oldest pending entry (delivered, not acknowledged) and anything after the last
entry it was delivered (not read yet). So a stuck group makes its stream grow rather than lose work;
only handled entries (and, for streams without groups such as the dead letters, old ones) go.

The leader runs :class:`StreamJanitor` every ``STREAM_TRIM_INTERVAL_SECONDS``; the retention of each
stream comes from settings (``INBOX_RETENTION_SECONDS``, ``CALLBACK_RETENTION_SECONDS``,
``DEAD_LETTER_RETENTION_SECONDS``) and the sizing they imply is in the README's operations section.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError, ResponseError

from shared.keys import Keys
from shared.settings import Settings

__all__ = ["Retention", "StreamJanitor", "retentions", "trim_floor", "trim_stream"]

log = structlog.get_logger()

StreamId = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Retention:
    """Keep the entries of ``stream`` for ``keep_seconds`` (and every entry a group still needs)."""

    stream: str
    keep_seconds: float


def retentions(settings: Settings, keys: Keys) -> list[Retention]:
    """Every stream the system writes without a length bound of its own, with its configured retention."""
    return [
        Retention(keys.inbox, settings.INBOX_RETENTION_SECONDS),
        Retention(keys.kie_callbacks, settings.CALLBACK_RETENTION_SECONDS),
        Retention(keys.inbox_dead, settings.DEAD_LETTER_RETENTION_SECONDS),
        Retention(keys.kie_callbacks_dead, settings.DEAD_LETTER_RETENTION_SECONDS),
    ]


async def trim_floor(redis: aioredis.Redis, stream: str) -> StreamId | None:
    """The lowest id some consumer group of ``stream`` still needs, or None when no group needs any.

    For each group: its oldest pending entry, else the entry after the last one delivered to it.
    """
    try:
        groups: list[dict[str, Any]] = await redis.xinfo_groups(stream)
    except ResponseError as exc:
        if "no such key" in str(exc).lower():
            return None
        raise
    needed: list[StreamId] = []
    for group in groups:
        delivered = _parse(group["last-delivered-id"])
        needed.append((delivered[0], delivered[1] + 1))
        if int(group["pending"]) > 0:
            summary: dict[str, Any] = await redis.xpending(stream, group["name"])
            needed.append(_parse(summary["min"]))
    return min(needed, default=None)


async def trim_stream(redis: aioredis.Redis, retention: Retention, now: float) -> int:
    """Trim ``retention.stream`` below its time cutoff and below no entry a group needs; entries removed."""
    cutoff: StreamId = (max(0, int((now - retention.keep_seconds) * 1000)), 0)
    floor = await trim_floor(redis, retention.stream)
    min_id = cutoff if floor is None else min(cutoff, floor)
    if min_id <= (0, 0):
        return 0
    # Exact, not "~": a round removes what it may (O(removed)), so retention holds to the entry.
    removed = await redis.xtrim(retention.stream, minid=f"{min_id[0]}-{min_id[1]}", approximate=False)
    return int(removed)


class StreamJanitor:
    """A leader duty: trims every stream of ``retentions`` each ``interval`` seconds while leading.

    Trimming is idempotent, so a late round of an old leader harms nothing and needs no fencing.
    """

    def __init__(
        self,
        redis: aioredis.Redis,
        retentions: Sequence[Retention],
        interval: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._retentions = list(retentions)
        self._interval = interval
        self._clock = clock

    async def __call__(self, epoch: int) -> None:
        """Trim, wait, repeat until cancelled (the term ends); Redis failures wait for the next round."""
        while True:
            await self.trim_all()
            await asyncio.sleep(self._interval)

    async def trim_all(self) -> int:
        """One round over every stream; the number of entries removed."""
        removed = 0
        for retention in self._retentions:
            try:
                count = await trim_stream(self._redis, retention, self._clock())
            except (RedisError, OSError) as exc:
                reason = str(exc) or type(exc).__name__
                log.warning("stream_trim_failed", stream=retention.stream, reason=reason)
                continue
            if count:
                log.info("stream_trimmed", stream=retention.stream, removed=count)
            removed += count
        return removed


def _parse(raw: bytes | str) -> StreamId:
    text = raw.decode() if isinstance(raw, bytes) else raw
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)
