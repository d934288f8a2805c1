"""The PostgreSQL lease backend: a row in ``leader_lease`` whose expiry is judged by the database clock.

Not an advisory lock: a half-open or recycled connection can neither keep nor silently drop a term,
because a term is a row with ``expires_at`` compared with ``now()`` on the server. Acquire is one
conditional INSERT … ON CONFLICT DO UPDATE that only succeeds when the row has expired (or is held by
a holder the caller proved dead), bumps the epoch
above every epoch either backend ever granted (``leader_terms``, ``fence`` and the caller's floor),
and records the term in ``leader_terms``, all in one statement. Renew and release are compare-and-set
on holder and epoch, and only while the term is still live on the database clock.

The backend uses its own dedicated connection (never a pooled one) with TCP keepalives, a TCP user
timeout and a statement timeout. Any error or timeout closes that connection and is reported as
:class:`~shared.lease.LeaseConnectionLost` (or ``LeaseBackendFailed`` when the server answered with
an error): the outcome is unknown, so the keeper counts it as "not confirmed". The next call connects
afresh.
"""

from __future__ import annotations

import asyncio
from typing import Any, LiteralString

import psycopg
import structlog

from shared.lease.backend import LeaseBackendFailed, LeaseConnectionLost

__all__ = ["PostgresLease"]

log = structlog.get_logger()

LEASE_NAME = "leader"

_ACQUIRE: LiteralString = """
WITH floor AS (
    SELECT greatest(
        %(floor)s::bigint,
        (SELECT coalesce(max(epoch), 0) FROM leader_terms),
        (SELECT coalesce(max(epoch), 0) FROM fence)) AS epoch
), granted AS (
    INSERT INTO leader_lease AS l (name, holder, epoch, acquired_at, expires_at)
    SELECT %(name)s, %(holder)s, floor.epoch + 1, now(), now() + make_interval(secs => %(ttl)s)
    FROM floor
    ON CONFLICT (name) DO UPDATE
        SET holder = EXCLUDED.holder,
            epoch = greatest(l.epoch + 1, EXCLUDED.epoch),
            acquired_at = now(),
            expires_at = EXCLUDED.expires_at
        WHERE l.expires_at <= now() OR l.holder = EXCLUDED.holder OR l.holder = %(dead_holder)s
    RETURNING l.epoch, l.holder
), recorded AS (
    INSERT INTO leader_terms (epoch, holder, backend)
    SELECT epoch, holder, 'postgres' FROM granted
    ON CONFLICT (epoch) DO NOTHING
)
SELECT epoch FROM granted
"""

_RENEW: LiteralString = """
UPDATE leader_lease SET expires_at = now() + make_interval(secs => %(ttl)s)
WHERE name = %(name)s AND holder = %(holder)s AND epoch = %(epoch)s AND expires_at > now()
RETURNING epoch
"""

_RELEASE: LiteralString = """
UPDATE leader_lease SET expires_at = now()
WHERE name = %(name)s AND holder = %(holder)s AND epoch = %(epoch)s AND expires_at > now()
RETURNING epoch
"""

_HIGHEST: LiteralString = """
SELECT greatest(
    (SELECT coalesce(max(epoch), 0) FROM leader_terms),
    (SELECT coalesce(max(epoch), 0) FROM leader_lease))
"""


class PostgresLease:
    """One holder's claim on the lease row, over a dedicated connection."""

    def __init__(
        self,
        dsn: str,
        holder: str,
        ttl_seconds: float,
        *,
        connect_timeout: float = 5.0,
        name: str = LEASE_NAME,
    ) -> None:
        self._dsn = dsn
        self._name = name
        self._holder = holder
        self._ttl = ttl_seconds
        # One round trip must fit well inside a renewal interval, or the answer is useless anyway.
        self._op_timeout = max(0.2, ttl_seconds / 3)
        self._connect_timeout = min(connect_timeout, self._op_timeout)
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self._epoch: int | None = None

    @property
    def name(self) -> str:
        return "postgres"

    @property
    def holder(self) -> str:
        return self._holder

    @property
    def backend_pid(self) -> int | None:
        """The server process of the current connection, or None when disconnected."""
        return None if self._conn is None or self._conn.closed else self._conn.info.backend_pid

    async def try_acquire(self, floor: int = 0, *, dead_holder: str | None = None) -> int | None:
        """Take the lease row if it has expired (or is held by ``dead_holder``); return the new epoch
        (> ``floor``), or None."""
        params = {**self._params(), "floor": floor, "ttl": self._ttl, "dead_holder": dead_holder}
        row = await self._fetch(_ACQUIRE, params)
        self._epoch = None if row is None else int(row[0])
        return self._epoch

    async def renew(self) -> bool:
        """Extend the term to a full TTL from the database's now(), if it is still ours and live."""
        if self._epoch is None:
            return False
        row = await self._fetch(_RENEW, {**self._params(), "epoch": self._epoch, "ttl": self._ttl})
        if row is None:
            self._epoch = None
        return row is not None

    async def release(self) -> bool:
        """Expire the term now if it is still ours and live. Returns whether it was."""
        if self._epoch is None:
            return False
        epoch, self._epoch = self._epoch, None
        return await self._fetch(_RELEASE, {**self._params(), "epoch": epoch}) is not None

    async def highest_epoch(self) -> int:
        """The highest epoch PostgreSQL knows of, from the term record and the lease row."""
        row = await self._fetch(_HIGHEST, {})
        return 0 if row is None else int(row[0])

    async def aclose(self) -> None:
        """Close the dedicated connection (idempotent)."""
        await self._drop()

    def _params(self) -> dict[str, Any]:
        return {"name": self._name, "holder": self._holder}

    async def _fetch(self, query: LiteralString, params: dict[str, Any]) -> tuple[Any, ...] | None:
        """Run one statement within the operation budget; on any failure drop the connection."""
        try:
            return await asyncio.wait_for(self._execute(query, params), self._op_timeout)
        except asyncio.CancelledError:
            # Cancelled mid-statement: the connection's state is unknown, never reuse it.
            await self._drop()
            raise
        except TimeoutError as exc:
            await self._drop()
            raise LeaseConnectionLost(f"no answer within {self._op_timeout:.2f}s") from exc
        except (psycopg.OperationalError, OSError) as exc:
            await self._drop()
            raise LeaseConnectionLost(_first_line(exc)) from exc
        except psycopg.Error as exc:
            await self._drop()
            raise LeaseBackendFailed(_first_line(exc)) from exc

    async def _execute(self, query: LiteralString, params: dict[str, Any]) -> tuple[Any, ...] | None:
        conn = await self._connection()
        cursor = await conn.execute(query, params)
        return await cursor.fetchone()

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = await psycopg.AsyncConnection.connect(self._dsn, **self._connect_options())
        return self._conn

    def _connect_options(self) -> dict[str, Any]:
        budget_ms = int(self._op_timeout * 1000)
        return {
            "autocommit": True,
            "application_name": f"trt-lease {self._holder}"[:63],
            "connect_timeout": max(1, round(self._connect_timeout)),
            # A dead peer must be noticed within about one TTL, not the kernel's two hours.
            "keepalives": 1,
            "keepalives_idle": max(1, int(self._ttl / 3)),
            "keepalives_interval": 1,
            "keepalives_count": 3,
            "tcp_user_timeout": max(1000, int(self._ttl * 1000)),
            "options": (
                f"-c statement_timeout={budget_ms} -c lock_timeout={budget_ms}"
                f" -c idle_in_transaction_session_timeout={max(1000, budget_ms * 2)}"
            ),
        }

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None or conn.closed:
            return
        try:
            await asyncio.wait_for(conn.close(), 1.0)
        except (TimeoutError, psycopg.Error, OSError) as exc:
            log.info("lease_connection_close_skipped", reason=_first_line(exc))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
