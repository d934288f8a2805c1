"""The leader's host partitioned from Redis and PostgreSQL (and everything else) for a while.

Leadership is first moved to the second host (``chaos-host-b``, the one in a namespace of its own): the
first host's lock keeper is stopped, which releases the lease, and started again once the second host
leads. Then the second host's link is cut. While it is cut off, its term runs out (it cannot renew), the
first host takes the lease with a newer epoch, and the load goes on through the first host. When the link
heals, the second host's stalled connections deliver what they had sent. The recorded leader activity
must show the two terms never overlapping and no write of the cut-off term later than a TTL into the
cut; and the cut-off term's leader duty, replayed after the cut, must be refused by the fence.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from functools import partial

from psycopg_pool import AsyncConnectionPool

from services.lockkeeper.beat import ActivityBeat
from tests.chaos.network import HostNetwork
from tests.chaos.timeline import Timeline
from tests.e2e.hosts import activity, assert_terms_never_overlap, host_of, live_leader
from tests.e2e.system import System, wait_until

__all__ = ["SECOND_HOST", "PartitionResult", "partition_leader"]

SECOND_HOST = "chaos-host-b"


@dataclass(frozen=True)
class PartitionResult:
    """The epochs before and after, how long the cut lasted, and what the cut-off host did about it."""

    epoch_cut_off: int
    epoch_after: int
    seconds: float
    leases_lost: int
    acted_after_term: list[tuple[int, str, float]]
    late_write_refused: bool


def partition_leader(
    system: System,
    second: System,
    network: HostNetwork,
    database_url: str,
    timeline: Timeline,
    seconds: float,
    ttl: float,
) -> PartitionResult:
    """Cut the leading second host off for ``seconds``; the first host must lead before the cut heals."""
    cut_off = _lead_from_second_host(system)
    cut_before = network.cut_seconds
    began, cut_at = time.monotonic(), time.time()
    with timeline.fault("partition leader's host"), network.cut():
        newer = partial(_newer_leader, system, cut_off)
        after = wait_until(newer, 30, "the first host leading during the cut")
        time.sleep(max(0.0, seconds - (time.monotonic() - began)))
    wait_until(second.all_running, 60, "the second host's programs RUNNING after the cut")
    time.sleep(3)  # the second host's stalled connections deliver what they held by now
    rows = activity(database_url)
    assert_terms_never_overlap(rows)
    holder = next(row[2] for row in rows if row[1] == cut_off)
    return PartitionResult(
        epoch_cut_off=cut_off,
        epoch_after=int(after["epoch"]),
        seconds=round(network.cut_seconds - cut_before, 1),
        leases_lost=second.logs().get("lockkeeper.log", "").count('"lease_lost"'),
        acted_after_term=[row[1:] for row in rows if row[1] == cut_off and row[3] > cut_at + ttl],
        late_write_refused=asyncio.run(_late_write_refused(database_url, cut_off, holder)),
    )


async def _late_write_refused(database_url: str, epoch: int, holder: str) -> bool:
    """Replay the cut-off term's leader duty now: the fence must refuse its first write."""
    async with AsyncConnectionPool(database_url, min_size=1, open=False) as pool:
        try:
            await asyncio.wait_for(ActivityBeat(pool, holder, interval=0.2)(epoch), timeout=5)
        except TimeoutError:
            return False  # it kept writing: the fence let the old term through
    return True


def _lead_from_second_host(system: System) -> int:
    """Hand the lease to the second host; returns its epoch."""
    if _leader_host(system) != SECOND_HOST:
        system.ctl("stop", "lockkeeper")
        try:
            wait_until(lambda: _leader_host(system) == SECOND_HOST, 30, "the second host leading")
        finally:
            system.ctl("start", "lockkeeper")
    leader = wait_until(lambda: live_leader(system), 30, "a live leader before the cut")
    assert host_of(leader["holder"]) == SECOND_HOST, leader
    return int(leader["epoch"])


def _leader_host(system: System) -> str | None:
    leader = live_leader(system)
    return None if leader is None else host_of(leader["holder"])


def _newer_leader(system: System, epoch: int) -> dict[str, object] | None:
    leader = live_leader(system)
    return leader if leader is not None and int(str(leader["epoch"])) > epoch else None
