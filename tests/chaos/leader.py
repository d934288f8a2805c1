"""The leader paused past its lease: SIGSTOP of the lease holder (the leading host's lock keeper), then
SIGCONT.

While it is stopped the lease expires; when it resumes it must notice, and leadership must come back
with a higher epoch whose fenced writes never overlap the old term's.
"""

from __future__ import annotations

import os
import signal
import time

from tests.chaos.timeline import Timeline
from tests.e2e.hosts import activity, assert_terms_never_overlap, host_of, live_leader
from tests.e2e.system import System, wait_until

__all__ = ["pause_leader"]


def pause_leader(
    hosts: dict[str, System], database_url: str, ttl: float, timeline: Timeline
) -> tuple[int, int]:
    """Freeze the leading host's lock keeper for two lease TTLs plus a second; returns (epoch before,
    epoch after). ``hosts`` by host id; the first one answers /health."""
    system = next(iter(hosts.values()))
    leader = wait_until(lambda: live_leader(system), 30, "a live leader before the pause")
    before = int(leader["epoch"])
    pid = int(hosts[host_of(leader["holder"])].processes()["lockkeeper"]["pid"])
    with timeline.fault("pause leader"):
        os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(2 * ttl + 1)
        finally:
            os.kill(pid, signal.SIGCONT)
    after = wait_until(lambda: _newer_leader(system, before), 30, "a leader with a newer epoch")
    assert_terms_never_overlap(activity(database_url))
    return before, int(after["epoch"])


def _newer_leader(system: System, epoch: int) -> dict[str, object] | None:
    leader = live_leader(system)
    return leader if leader is not None and int(str(leader["epoch"])) > epoch else None
