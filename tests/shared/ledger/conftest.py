"""A migrated database and a connection pool for ledger and job tests; user ids unique per test."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest
from psycopg_pool import AsyncConnectionPool

from shared.migrations import apply_migrations


@pytest.fixture(name="pool")
async def _pool(database_url: str) -> AsyncIterator[AsyncConnectionPool]:
    """A pool on the run's database with every migration applied."""
    apply_migrations(database_url)
    pool = AsyncConnectionPool(database_url, min_size=1, max_size=10, open=False, kwargs={"autocommit": True})
    await pool.open()
    yield pool
    await pool.close()


@pytest.fixture(name="new_user_id")
def _new_user_id() -> int:
    """A user id no other test uses."""
    return random.randrange(10**9, 2 * 10**9)
