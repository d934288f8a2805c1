"""Fixtures shared by every test: a private Redis key prefix and a private PostgreSQL database per run.

Two runs on one machine never collide: each run gets its own prefix and database, and removes both.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator

import psycopg
import pytest
import redis.asyncio as aioredis

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PG_ADMIN_DSN = os.environ.get("TEST_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(name="run_id", scope="session")
def _run_id() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture(name="redis_url", scope="session")
def _redis_url() -> str:
    return REDIS_URL


@pytest.fixture(name="key_prefix")
def _key_prefix(run_id: str) -> Iterator[str]:
    """A Redis key prefix private to one test; every key under it is deleted afterwards."""
    prefix = f"trt-test:{run_id}:{uuid.uuid4().hex[:6]}:"
    yield prefix
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(name="redis_client")
async def _redis_client() -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(REDIS_URL)
    yield client
    await client.aclose()


@pytest.fixture(name="database_url", scope="session")
def _database_url(run_id: str) -> Iterator[str]:
    """A PostgreSQL database created for this run and dropped at its end."""
    name = f"trt_test_{run_id}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(name="free_port")
def _free_port() -> int:
    return free_port()
