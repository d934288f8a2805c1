"""Whether a lease holder of this host is provably gone, judged from real processes."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.lease.predecessor import PredecessorProbe, process_origin

OWN = "host-a/lockkeeper/1"
MARKER = "services.lockkeeper"


@pytest.fixture(name="spawn")
def _spawn() -> Iterator[object]:
    """Start a sleeping process with extra arguments; every one is killed at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def spawn(*args: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", *args])
        started.append(process)
        cmdline = Path(f"/proc/{process.pid}/cmdline")
        deadline = time.monotonic() + 5
        while args[-1].encode() not in cmdline.read_bytes():  # just after exec it may be empty
            assert time.monotonic() < deadline
            time.sleep(0.01)
        return process

    yield spawn
    for process in started:
        process.kill()
        process.wait()


class TestPredecessorProbe:
    def test_a_pid_that_no_longer_exists_is_gone(self, spawn: object) -> None:
        """The holder's process exited (and was reaped): gone."""
        process = spawn(MARKER)  # type: ignore[operator]
        process.kill()
        process.wait()
        assert PredecessorProbe(OWN, MARKER).is_gone(f"host-a/lockkeeper/{process.pid}")

    def test_a_live_lock_keeper_is_not_gone(self, spawn: object) -> None:
        """The pid still runs the program (it may only be paused): no proof."""
        process = spawn(MARKER)  # type: ignore[operator]
        assert not PredecessorProbe(OWN, MARKER).is_gone(f"host-a/lockkeeper/{process.pid}")

    def test_a_pid_reused_by_another_program_is_gone(self, spawn: object) -> None:
        """The pid is alive but runs something else: the holder is gone."""
        process = spawn("something-else")  # type: ignore[operator]
        assert PredecessorProbe(OWN, MARKER).is_gone(f"host-a/lockkeeper/{process.pid}")

    def test_a_holder_of_another_host_is_never_judged(self, spawn: object) -> None:
        """A pid of another host means nothing here, even when no such pid runs here."""
        process = spawn(MARKER)  # type: ignore[operator]
        process.kill()
        process.wait()
        assert not PredecessorProbe(OWN, MARKER).is_gone(f"host-b/lockkeeper/{process.pid}")

    def test_a_malformed_holder_is_not_gone(self) -> None:
        """A holder id without a numeric pid proves nothing."""
        probe = PredecessorProbe(OWN, MARKER)
        assert not probe.is_gone("host-a/lockkeeper/x")
        assert not probe.is_gone("host-a")


class TestProcessOrigin:
    def test_names_the_boot_and_the_pid_namespace(self) -> None:
        """Stable within this process, and built from the kernel's boot id."""
        origin = process_origin()
        assert origin is not None and origin == process_origin()
        assert origin.startswith(Path("/proc/sys/kernel/random/boot_id").read_text().strip())

    def test_is_unknown_without_proc(self, tmp_path: Path) -> None:
        """No /proc: no origin, so no pid is ever judged."""
        assert process_origin(tmp_path) is None
