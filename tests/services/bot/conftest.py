"""Fixtures for the bot's handler tests: a migrated pool, the registry and an in-process bot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from psycopg_pool import AsyncConnectionPool

from shared.catalog import Registry, load_registry
from shared.migrations import apply_migrations
from tests.services.bot.harness import BotHarness, running_bot


@pytest.fixture(name="registry", scope="session")
def _registry() -> Registry:
    return load_registry()


@pytest.fixture(name="pool")
async def _pool(database_url: str) -> AsyncIterator[AsyncConnectionPool]:
    """A pool on the run's database with every migration applied."""
    apply_migrations(database_url)
    pool = AsyncConnectionPool(database_url, min_size=1, max_size=10, open=False, kwargs={"autocommit": True})
    await pool.open()
    yield pool
    await pool.close()


@pytest.fixture(name="bot")
async def _bot(
    registry: Registry, redis_client: aioredis.Redis, key_prefix: str, pool: AsyncConnectionPool
) -> AsyncIterator[BotHarness]:
    async with running_bot(registry, redis_client, key_prefix, pool) as harness:
        yield harness
