"""SIGKILL every program several times, one at a time, while the load runs."""

from __future__ import annotations

import os
import signal
import time
from functools import partial

from tests.chaos.timeline import Timeline
from tests.e2e.system import System, wait_until

__all__ = ["PROGRAMS", "kill_each"]

PROGRAMS = ("lockkeeper", "warmup", "webhook", "jobs", "bot:bot_00", "bot:bot_01", "crashguard")


def kill_each(system: System, timeline: Timeline, rounds: int = 3, pause: float = 2.0) -> None:
    """``rounds`` times over: SIGKILL each program once it is RUNNING again, ``pause`` s apart."""
    for _ in range(rounds):
        for name in PROGRAMS:
            info = wait_until(partial(_running, system, name), 60, f"{name} RUNNING before its next kill")
            with timeline.fault(f"kill {name}"):
                os.kill(int(info["pid"]), signal.SIGKILL)
            time.sleep(pause)


def _running(system: System, name: str) -> dict[str, object] | None:
    info = system.processes()[name]
    return info if info["statename"] == "RUNNING" and info["pid"] else None
