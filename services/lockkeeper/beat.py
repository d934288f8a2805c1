"""The lock keeper's own leader duty: a fenced activity beat, "holder acted as leader in epoch N".

It runs through :func:`shared.lease.leadership.run_while_leader` like every other leader duty, and writes
through :class:`shared.lease.fencing.Fence`, so it is the end-to-end proof that a stale leader's writes are
rejected: after a failover, no ``leader_activity`` row with an older epoch can follow a newer one.
Rows older than a day are pruned when a term starts.
"""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import structlog
from psycopg_pool import AsyncConnectionPool

from shared.lease.fencing import Fence, StaleEpoch

__all__ = ["ActivityBeat"]

log = structlog.get_logger()

RESOURCE = "leader:activity"

_PRUNE = "DELETE FROM leader_activity WHERE at < now() - interval '1 day'"
_INSERT = "INSERT INTO leader_activity (epoch, holder) VALUES (%(epoch)s, %(holder)s)"


class ActivityBeat:
    """A leader duty: one fenced ``leader_activity`` row every ``interval`` seconds."""

    def __init__(self, pool: AsyncConnectionPool[Any], holder: str, interval: float) -> None:
        self._fence = Fence(pool)
        self._holder = holder
        self._interval = interval

    async def __call__(self, epoch: int) -> None:
        """Beat until cancelled; a rejected (stale) write ends the duty for this term."""
        prune = True
        while True:
            try:
                await self._write(epoch, prune)
                prune = False
            except StaleEpoch as exc:
                log.warning("fenced_write_rejected", resource=exc.resource, epoch=epoch, current=exc.current)
                return
            except psycopg.Error as exc:
                log.warning("leader_activity_failed", epoch=epoch, reason=str(exc).splitlines()[0])
            await asyncio.sleep(self._interval)

    async def _write(self, epoch: int, prune: bool) -> None:
        async with self._fence.transaction(RESOURCE, epoch, self._holder) as conn:
            if prune:
                await conn.execute(_PRUNE)
            await conn.execute(_INSERT, {"epoch": epoch, "holder": self._holder})
