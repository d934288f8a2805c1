"""``python -m shared.ops.status`` and the per-process metrics endpoints against a real system."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port
from tests.e2e.system import System, migrate, prepare_home, start, wait_until

pytestmark = pytest.mark.e2e

LOCKKEEPER_OFFSET, WEBHOOK_OFFSET, CRASHGUARD_OFFSET, BOT_00_OFFSET = 0, 2, 4, 10


@pytest.fixture(name="metrics_base")
def _metrics_base() -> int:
    return free_port()


@pytest.fixture(name="system")
def _system(xprocess: Any, tmp_path: Path, system_env_factory: Any, metrics_base: int) -> Iterator[System]:
    port = free_port()
    env = system_env_factory(
        PORT=str(port),
        WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/webhook",
        METRICS_PORT_BASE=str(metrics_base),
    )
    migrate(env)
    yield from start(xprocess, prepare_home(tmp_path), port, env)


def status(system: System) -> tuple[int, dict[str, Any]]:
    socket = str(system.var / "supervisor.sock")
    done = subprocess.run(
        [sys.executable, "-m", "shared.ops.status", "--json", "--socket", socket],
        capture_output=True,
        text=True,
        env=system.env,
        timeout=60,
    )
    return done.returncode, json.loads(done.stdout)


def metrics(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return response.read().decode()


class TestStatus:
    def test_exit_status_follows_the_health_of_the_system(self, system: System) -> None:
        """0 when all is well; 1 while a program is stopped; 0 again once it runs."""
        code, report = wait_until(lambda: _ok(system), timeout=60, what="status 0")
        names = {row["name"] for row in report["programs"]}
        assert {"webhook", "lockkeeper", "warmup", "jobs", "bot:bot_00", "bot:bot_01", "crashguard"} <= names
        assert report["leader"]["live"] and report["leader"]["epoch"] >= 1
        assert report["inbox"]["dead_letters"] == 0
        assert system.ctl("stop", "jobs").returncode == 0
        code, report = status(system)
        assert code == 1
        assert any(
            problem.startswith("jobs@") and problem.endswith("STOPPED") for problem in report["problems"]
        )
        assert system.ctl("start", "jobs").returncode == 0
        wait_until(lambda: _ok(system), timeout=60, what="status 0 after jobs started again")

    def test_every_program_serves_its_own_metrics(self, system: System, metrics_base: int) -> None:
        """Ports are base + offset; the lock keeper reports leadership and epoch, workers their counters."""
        wait_until(
            lambda: "trt_leader 1.0" in metrics(metrics_base + LOCKKEEPER_OFFSET),
            timeout=30,
            what="the lock keeper's leadership gauge",
        )
        assert "trt_lease_epoch" in metrics(metrics_base + LOCKKEEPER_OFFSET)
        assert "trt_inbox_length" in metrics(metrics_base + LOCKKEEPER_OFFSET)
        assert "trt_updates_received_total" in metrics(metrics_base + WEBHOOK_OFFSET)
        assert "trt_updates_handled_total" in metrics(metrics_base + BOT_00_OFFSET)
        assert "trt_alerts_total" in metrics(metrics_base + CRASHGUARD_OFFSET)


def _ok(system: System) -> tuple[int, dict[str, Any]] | None:
    code, report = status(system)
    return (code, report) if code == 0 else None
