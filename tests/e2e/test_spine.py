"""The process spine end to end: real supervisord, real programs, real Redis and PostgreSQL."""

from __future__ import annotations

import os
import signal

import pytest

from tests.e2e.conftest import BOT_TOKEN
from tests.e2e.system import FORBIDDEN_LOG_TEXT, System, wait_until

PROGRAMS = ["webhook", "bot:bot_00", "bot:bot_01", "jobs", "warmup", "lockkeeper", "crashguard"]

pytestmark = pytest.mark.e2e


def health_pid(system: System, name: str) -> int | None:
    entry = system.health()["programs"].get(name)
    return None if entry is None else int(entry["pid"])


class TestSpine:
    def test_every_program_reports_health(self, system: System) -> None:
        """/health lists one entry per supervised process, keyed by its supervisorctl name, with its pid."""
        processes = system.processes()
        assert sorted(processes) == sorted(PROGRAMS)
        health = wait_until(
            lambda: (
                (h := system.health())
                and sorted(name for name, e in h["programs"].items() if e["state"] == "running")
                == sorted(PROGRAMS)
                and h
            ),
            30,
            "a running heartbeat from every process",
        )
        for name in PROGRAMS:
            info, entry = processes[name], health["programs"][name]
            assert entry["pid"] == info["pid"]
            assert entry["state"] == "running"
            assert entry["heartbeat_age_s"] < 5

    def test_leader_is_published(self, system: System) -> None:
        """The lock keeper takes the lease and /health shows the holder and its epoch."""
        leader = wait_until(lambda: system.health()["leader"], 15, "a published leader")
        assert leader["holder"].startswith(system.env["HOST_ID"] + "/lockkeeper/")
        assert leader["epoch"] >= 1
        assert 0 < leader["expires_in"] <= float(system.env["LEASE_TTL_SECONDS"])

    def test_supervisorctl_works_from_the_config(self, system: System) -> None:
        """supervisorctl -c supervisor.conf status lists every program RUNNING."""
        result = system.ctl("status")
        assert result.returncode == 0, result.stderr
        for name in PROGRAMS:
            assert any(line.split()[:2] == [name, "RUNNING"] for line in result.stdout.splitlines())

    def test_restart_bot_group_touches_only_workers(self, system: System) -> None:
        """supervisorctl restart bot:* gives the workers new pids and leaves the others alone."""
        before = system.processes()
        result = system.ctl("restart", "bot:*")
        assert result.returncode == 0, result.stderr
        wait_until(system.all_running, 30, "every program RUNNING again")
        after = system.processes()
        for name in PROGRAMS:
            changed = after[name]["pid"] != before[name]["pid"]
            assert changed == name.startswith("bot:"), name

    @pytest.mark.parametrize("name", PROGRAMS)
    def test_sigkill_is_followed_by_restart_and_new_heartbeat(self, system: System, name: str) -> None:
        """kill -9 of a program: supervisord restarts it and its heartbeat resumes under the new pid."""
        wait_until(lambda: health_pid(system, name), 15, f"{name} heartbeat")
        old_pid = system.processes()[name]["pid"]
        os.kill(old_pid, signal.SIGKILL)
        new_pid = wait_until(
            lambda: (
                (info := system.processes()[name])["statename"] == "RUNNING"
                and info["pid"] != old_pid
                and info["pid"]
            ),
            30,
            f"{name} restarted",
        )
        wait_until(lambda: health_pid(system, name) == new_pid, 15, f"{name} heartbeat under pid {new_pid}")


class TestCleanStop:
    def test_sigterm_stops_every_program_with_status_zero(self, system: System) -> None:
        """SIGTERM to supervisord: every program exits 0, and no log holds an asyncio lifecycle error."""
        wait_until(lambda: len(system.health()["programs"]) == len(PROGRAMS), 15, "every heartbeat")
        assert system.shutdown() == 0
        supervisord_log = (system.var / "log" / "supervisord.log").read_text()
        for name in PROGRAMS:
            process = name.split(":")[-1]
            assert f"stopped: {process} (exit status 0)" in supervisord_log, process
        for log_name, text in system.logs().items():
            for forbidden in FORBIDDEN_LOG_TEXT:
                assert forbidden not in text, f"{log_name} contains {forbidden!r}"
            assert BOT_TOKEN not in text, f"{log_name} leaks the bot token"
