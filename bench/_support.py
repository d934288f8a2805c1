"""What the benchmarks share: ports, child processes, a private database and Redis, summaries of runs."""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import redis

PG_ADMIN_DSN = os.environ.get("BENCH_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def venv_path() -> str:
    """PATH with this interpreter's bin directory first, so children run the project's tools."""
    return f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


def wait_listening(port: int, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listened on port {port} within {seconds}s")


@contextmanager
def serving(args: list[str], port: int | None, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """Run a child process (waiting for ``port`` to listen, if given); SIGTERM it afterwards, SIGKILL
    it when it has not stopped 30 s later."""
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if port is not None:
            wait_listening(port, process)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:  # e.g. PTB still draining a backlog: the figures are taken
            process.kill()
            process.wait(10)


@contextmanager
def private_database() -> Iterator[str]:
    """A PostgreSQL database for one benchmark run, dropped afterwards; yields its URL."""
    name = f"trt_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def private_prefix() -> Iterator[str]:
    """A Redis key prefix for one benchmark run; its keys are deleted afterwards."""
    prefix = f"bench:{uuid.uuid4().hex[:8]}:"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
        client.close()


# The shipped persistence: every append on disk before Redis answers (the chaos suite runs the same).
SHIPPED_PERSISTENCE = {"appendonly": "yes", "appendfsync": "always"}


@contextmanager
def private_redis(persistence: dict[str, str] = SHIPPED_PERSISTENCE) -> Iterator[str]:
    """A redis-server of our own with ``persistence``, its data in a directory on disk; yields its URL.

    The shared Redis on 6379 runs with whatever persistence its host chose, so a figure measured
    against it says nothing about the durability the product ships with.
    """
    port = free_port()
    home = Path(tempfile.mkdtemp(prefix="trt-bench-redis-"))
    args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(home), "--save", ""]
    for name, value in persistence.items():
        args += [f"--{name}", value]
    try:
        with serving(args, port, dict(os.environ)):
            yield f"redis://127.0.0.1:{port}/0"
    finally:
        shutil.rmtree(home, ignore_errors=True)


def redis_persistence(url: str) -> dict[str, str]:
    """What the Redis at ``url`` does to keep data: ``CONFIG GET`` of its append-only settings and dir."""
    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        found: dict[str, str] = {}
        for name in ("appendonly", "appendfsync", "save", "dir"):
            found.update({str(key): str(value) for key, value in client.config_get(name).items()})
        found["redis_version"] = str(client.info("server")["redis_version"])
        return found
    finally:
        client.close()


def spread(values: list[float]) -> dict[str, float]:
    """Median and range of a few samples, the way every benchmark reports repeated runs."""
    return {
        "median": round(statistics.median(values), 4),
        "min": round(min(values), 4),
        "max": round(max(values), 4),
    }


def machine() -> dict[str, Any]:
    """The machine a figure came from: cores and how busy it was when the benchmark began."""
    return {"cores": os.cpu_count(), "loadavg_1m_at_start": round(os.getloadavg()[0], 2)}
