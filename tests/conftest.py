"""Fixtures shared by every test: a private Redis key prefix and a private PostgreSQL database per run.

Two runs on one machine never collide: each run gets its own prefix and database, and removes both.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import psycopg
import pytest
import redis.asyncio as aioredis

# PTB 22 warns (an error under filterwarnings=error) when it builds a RetryAfter unless told to use
# timedeltas, which is what our rate limiter expects anyway.
os.environ.setdefault("PTB_TIMEDELTA", "1")

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


@contextmanager
def fresh_database() -> Iterator[str]:
    """A migrated database of its own, dropped afterwards: for tests that must see no other test's rows."""
    from shared.migrations.runner import apply_migrations

    name = f"trt_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + name
    try:
        apply_migrations(url)
        yield url
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(name="private_database_url")
def _private_database_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture(name="free_port")
def _free_port() -> int:
    return free_port()


class PrivateRedis:
    """A redis-server of this test's own, on a free port, that the test may stop and start again."""

    def __init__(self, workdir: str) -> None:
        self.port = free_port()
        self._workdir = workdir
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server") or "redis-server"
        args = [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        self._process = subprocess.Popen([*args, "--dir", self._workdir], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.02)
        raise RuntimeError(f"redis-server did not listen on {self.port}")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(10)
            self._process = None


@pytest.fixture(name="private_redis")
def _private_redis(tmp_path: object) -> Iterator[PrivateRedis]:
    server = PrivateRedis(str(tmp_path))
    server.start()
    yield server
    server.stop()
