"""System gauges that no single handler owns: leadership, lease epoch, and the inbox.

Each host's lock keeper refreshes them every few seconds (:meth:`SystemGauges.run`), so its metrics
endpoint says whether this host leads and how the shared inbox is doing. Every host reports the same
inbox numbers; dashboards and alert rules take ``max()`` over hosts.
"""

from __future__ import annotations

import asyncio
import time

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from shared.aio import wait_stopped
from shared.keys import Keys
from shared.lease.backend import read_leader
from shared.metrics import (
    INBOX_DEAD_LETTERS,
    INBOX_LAG,
    INBOX_LENGTH,
    INBOX_OLDEST_PENDING_SECONDS,
    INBOX_PENDING,
    LEADER,
    LEASE_EPOCH,
)
from shared.ops.inbox_probe import read_inbox

__all__ = ["SystemGauges"]

log = structlog.get_logger()


class SystemGauges:
    """Refreshes the leadership and inbox gauges of this process from Redis."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, host: str, interval: float = 5.0) -> None:
        self._redis = redis
        self._keys = keys
        self._host = host
        self._interval = interval

    async def refresh(self) -> None:
        """Read the published leader and the inbox once and set the gauges."""
        leader = await read_leader(self._redis, self._keys)
        leads = leader is not None and leader.is_live(time.time()) and leader.host == self._host
        LEADER.set(1 if leads else 0)
        if leader is not None:
            LEASE_EPOCH.set(leader.epoch)
        inbox = await read_inbox(self._redis, self._keys)
        INBOX_LENGTH.set(inbox.length)
        INBOX_LAG.set(inbox.lag if inbox.lag is not None else inbox.length)
        INBOX_PENDING.set(inbox.pending)
        INBOX_OLDEST_PENDING_SECONDS.set(inbox.oldest_pending_age_s or 0.0)
        INBOX_DEAD_LETTERS.set(inbox.dead_letters)

    async def run(self, stop: asyncio.Event) -> None:
        """Refresh every ``interval`` seconds until ``stop``; a failed read is logged and retried."""
        while not stop.is_set():
            try:
                await self.refresh()
            except (RedisError, OSError) as exc:
                log.info("gauges_refresh_failed", reason=str(exc))
            await wait_stopped(stop, self._interval)
