"""Private Redis and PostgreSQL servers for the chaos suite, which it stops and starts at will.

Never the shared servers on 6379 and 5432: each is a process of its own on a free port with its data
in a temporary directory. Both run with the durability they ship with here: Redis keeps an
append-only file (fsync on every write) so that even a SIGKILL keeps what it acknowledged, as a
production Redis holding the inbox must; PostgreSQL keeps its defaults (fsync, synchronous commit), so
a SIGKILL of the whole cluster is followed by crash recovery from the WAL at the next start.
PostgreSQL is a cluster of its own made with the machine's ``initdb``; as root, every PostgreSQL
command runs as ``postgres``.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
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

    def sigkill(self) -> None:
        """SIGKILL: a crash; only what the append-only file already holds survives."""
        if self._process is not None:
            self._process.kill()
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
            " -c max_connections=200"
        )
        with _adopting_orphans():  # the postmaster, once pg_ctl exits: ours to reap after a SIGKILL
            self._run(
                "pg_ctl", "-D", str(self._data), "-o", options, "-l", str(self._data / "log"), "-w", "start"
            )
        self._wait_ready()

    def stop(self) -> None:
        """A fast shutdown: sessions are cut, the cluster exits cleanly."""
        self._run("pg_ctl", "-D", str(self._data), "-m", "fast", "-w", "stop")

    def sigkill(self) -> None:
        """SIGKILL the postmaster and every process of the cluster at once, as a machine crash would.

        ``postmaster.pid`` is left behind; the next ``start`` sees its process gone and recovers.
        """
        postmaster = int((self._data / "postmaster.pid").read_text().split()[0])
        cluster = [postmaster, *_children(postmaster)]
        for pid in cluster:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(postmaster, 0)  # else a zombie postmaster looks alive to the next start
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in cluster):
            if time.monotonic() > deadline:
                raise AssertionError(f"PostgreSQL processes {cluster} outlived SIGKILL")
            time.sleep(0.05)

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


def _stat(pid: int) -> list[str]:
    """/proc/{pid}/stat after the command name: state, ppid, ...; empty once the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _alive(pid: int) -> bool:
    """Running still (a zombie waiting to be reaped has died)."""
    fields = _stat(pid)
    return bool(fields) and fields[0] != "Z"


def _children(parent: int) -> list[int]:
    """The pids whose parent is ``parent``."""
    pids = (int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit())
    return [pid for pid in pids if _stat(pid)[1:2] == [str(parent)]]


@contextlib.contextmanager
def _adopting_orphans() -> Iterator[None]:
    """Make this process the reaper of descendants orphaned inside the block (Linux child subreaper).

    Where PID 1 does not reap (a container's init may not), a SIGKILLed postmaster would otherwise stay
    a zombie, and PostgreSQL refuses to start while the PID in ``postmaster.pid`` exists.
    """
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    try:
        yield
    finally:
        prctl(_PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


_PR_SET_CHILD_SUBREAPER = 36
