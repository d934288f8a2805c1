"""Fencing: PostgreSQL rejects a leader's write whose epoch is older than the current one.

A lease cannot stop a paused or partitioned ex-leader from acting after its term ended; only the
resource can. So every write a leader duty makes to shared state runs in a transaction that first
passes :func:`check_fence` with the duty's epoch:

* the epoch must not be below the highest term ever recorded in ``leader_terms`` (the global fence:
  the lock keeper records every new term there, so a stale leader is rejected even on a resource the
  new leader has not touched yet);
* and not below the highest epoch that ever wrote this resource (the ``fence`` row, advanced in the
  same statement and row-locked until the transaction ends, so two writers of one resource serialise
  and the older one loses).

Usage, in a leader duty started by :func:`shared.lease.leadership.run_while_leader`::

    async with fence.transaction("catalog", epoch) as conn:
        await conn.execute("UPDATE catalog_version SET ...")

A stale epoch raises :class:`StaleEpoch` and the transaction rolls back: nothing is written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from shared.errors import TrtError

__all__ = ["Fence", "StaleEpoch", "check_fence"]

_ADVANCE = """
WITH term AS (SELECT coalesce(max(epoch), 0) AS epoch FROM leader_terms)
INSERT INTO fence AS f (resource, epoch, holder)
SELECT %(resource)s, %(epoch)s, %(holder)s FROM term WHERE term.epoch <= %(epoch)s
ON CONFLICT (resource) DO UPDATE
    SET epoch = EXCLUDED.epoch, holder = EXCLUDED.holder, updated_at = now()
    WHERE f.epoch <= EXCLUDED.epoch
RETURNING f.epoch
"""

_CURRENT = """
SELECT greatest(
    (SELECT coalesce(max(epoch), 0) FROM leader_terms),
    (SELECT coalesce(max(epoch), 0) FROM fence WHERE resource = %(resource)s))
"""


class StaleEpoch(TrtError):
    """A leader write carried an epoch older than the current one; it was rejected."""

    def __init__(self, resource: str, epoch: int, current: int) -> None:
        super().__init__(f"{resource}: epoch {epoch} is older than the current epoch {current}")
        self.resource = resource
        self.epoch = epoch
        self.current = current


async def check_fence(
    conn: psycopg.AsyncConnection[Any], resource: str, epoch: int, holder: str | None = None
) -> None:
    """Inside an open transaction: pass the fence of ``resource`` with ``epoch``, or raise StaleEpoch.

    On success the fence row stays locked until the transaction ends, so the write that follows is
    ordered before any write with a newer epoch.
    """
    params = {"resource": resource, "epoch": epoch, "holder": holder}
    cursor = await conn.execute(_ADVANCE, params)
    if await cursor.fetchone() is not None:
        return
    row = await (await conn.execute(_CURRENT, params)).fetchone()
    raise StaleEpoch(resource, epoch, int(row[0]) if row else 0)


class Fence:
    """Fenced transactions on a connection pool, for leader duties."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._pool = pool

    @asynccontextmanager
    async def transaction(
        self, resource: str, epoch: int, holder: str | None = None
    ) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """A transaction that has passed the fence of ``resource``; commits on exit, rolls back on error.

        Raises :class:`StaleEpoch` (before yielding) when ``epoch`` is older than the current one.
        """
        async with self._pool.connection() as conn, conn.transaction():
            await check_fence(conn, resource, epoch, holder)
            yield conn
