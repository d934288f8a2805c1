"""Private Redis and PostgreSQL servers for the chaos suite, which it stops and starts at will.

Never the shared servers on 6379 and 5432: each is a process of its own on a free port with its data
in a temporary directory. Redis keeps an append-only file (fsync on every write) so that a restart
keeps what it acknowledged, as a production Redis holding the inbox must. PostgreSQL is a cluster of
its own made with the machine's ``initdb``; as root, every PostgreSQL command runs as ``postgres``.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from tests.conftest import free_port

__all__ = ["DurableRedis", "PrivatePostgres"]


def _wait_for_port(port: int, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"{what} did not listen on {port} within {timeout}s")


class DurableRedis:
    """A redis-server with an fsync-always append-only file; ``restart`` keeps every acknowledged write."""

    def __init__(self, directory: Path, also_on: str | None = None) -> None:
        self.port = free_port()
        self._directory = directory
        self._addresses = ["127.0.0.1", *([also_on] if also_on else [])]
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return self.url_on("127.0.0.1")

    def url_on(self, address: str) -> str:
        return f"redis://{address}:{self.port}/0"

    def start(self) -> None:
        """Start (or start again) on the same port and data directory."""
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        args = [binary, "--port", str(self.port), "--bind", *self._addresses, "--dir", str(self._directory)]
        args += ["--protected-mode", "no"]  # listens on loopback and the chaos network's address only
        args += ["--appendonly", "yes", "--appendfsync", "always", "--save", ""]
        self._process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_port(self.port, 20, "redis-server")

    def stop(self) -> None:
        """SIGTERM: Redis flushes its append-only file and exits."""
        if self._process is not None:
            self._process.terminate()
            self._process.wait(30)
            self._process = None


class PrivatePostgres:
    """A PostgreSQL cluster of our own (initdb into a temporary directory) on a free port."""

    def __init__(self, also_on: str | None = None, clients: str | None = None) -> None:
        self.port = free_port()
        self._addresses = ",".join(["127.0.0.1", *([also_on] if also_on else [])])
        self._clients = clients
        self._bin = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))[-1]).parent
        self._data = Path(tempfile.mkdtemp(prefix="trt-chaos-pg-")) / "data"
        self._as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        return self.url_on("127.0.0.1")

    def url_on(self, address: str) -> str:
        return f"postgresql://postgres@{address}:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [*self._as_postgres, str(self._bin / tool), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        """initdb with trust authentication on 127.0.0.1 only."""
        if self._as_postgres:
            shutil.chown(self._data.parent, "postgres", "postgres")
        self._run("initdb", "-D", str(self._data), "-U", "postgres", "-A", "trust", "--no-sync")
        if self._clients:
            with (self._data / "pg_hba.conf").open("a") as hba:
                hba.write(f"host all all {self._clients} trust\n")

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses={self._addresses} -c unix_socket_directories={self._data}"
            " -c fsync=off -c max_connections=200"
        )
        self._run(
            "pg_ctl", "-D", str(self._data), "-o", options, "-l", str(self._data / "log"), "-w", "start"
        )
        self._wait_ready()

    def stop(self) -> None:
        """A fast shutdown: sessions are cut, the cluster exits cleanly."""
        self._run("pg_ctl", "-D", str(self._data), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        """Stop if running and remove the cluster's files."""
        subprocess.run(
            [*self._as_postgres, str(self._bin / "pg_ctl"), "-D", str(self._data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self._data.parent, ignore_errors=True)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.url, connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
