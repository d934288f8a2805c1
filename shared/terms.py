"""The record of leader terms in PostgreSQL: the highest epoch granted, and a term's registration.

``leader_terms`` holds every term either lease backend granted. It keeps epochs comparable across
backends (a new term starts above the highest recorded epoch) and is the global fence of
:mod:`shared.lease.fencing` (a write below the highest recorded term is stale). The PostgreSQL backend
records its terms in the acquiring statement itself; the Redis backend's keeper records them here.
"""

from __future__ import annotations

from typing import Any

from psycopg_pool import AsyncConnectionPool

__all__ = ["TermLedger"]

_HIGHEST = """
SELECT greatest(
    (SELECT coalesce(max(epoch), 0) FROM leader_terms),
    (SELECT coalesce(max(epoch), 0) FROM fence))
"""

_RECORD = """
INSERT INTO leader_terms (epoch, holder, backend) VALUES (%(epoch)s, %(holder)s, %(backend)s)
ON CONFLICT (epoch) DO NOTHING
"""


class TermLedger:
    """Reads and writes ``leader_terms`` through a connection pool."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._pool = pool

    async def highest_epoch(self) -> int:
        """The highest epoch any term or fenced write has used (0 when none)."""
        async with self._pool.connection() as conn:
            row = await (await conn.execute(_HIGHEST)).fetchone()
        return 0 if row is None else int(row[0])

    async def record(self, epoch: int, holder: str, backend: str) -> None:
        """Register a granted term (idempotent): from now on, older epochs are fenced off."""
        async with self._pool.connection() as conn:
            await conn.execute(_RECORD, {"epoch": epoch, "holder": holder, "backend": backend})
