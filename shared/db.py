"""PostgreSQL connection pool (psycopg 3)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from psycopg_pool import AsyncConnectionPool

from shared.settings import Settings

__all__ = ["open_pool"]


@asynccontextmanager
async def open_pool(settings: Settings, *, max_size: int = 5) -> AsyncIterator[AsyncConnectionPool]:
    """Open a pool that keeps connections alive and checks them before handing them out."""
    pool = AsyncConnectionPool(
        settings.DATABASE_URL,
        min_size=1,
        max_size=max_size,
        open=False,
        timeout=settings.DATABASE_CONNECT_TIMEOUT_SECONDS,
        check=AsyncConnectionPool.check_connection,
        kwargs={
            "autocommit": True,
            "application_name": "trt",
            "keepalives": 1,
            "keepalives_idle": 30,
            "connect_timeout": max(1, round(settings.DATABASE_CONNECT_TIMEOUT_SECONDS)),
        },
    )
    await pool.open(wait=False)
    try:
        yield pool
    finally:
        await pool.close()
