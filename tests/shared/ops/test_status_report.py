"""The status report: inbox probe on a real stream, problems that make the probe fail, the table."""

from __future__ import annotations

import json
import time

import redis.asyncio as aioredis

from shared.identity import ProcessIdentity
from shared.keys import Keys
from shared.lease.backend import LeaderInfo
from shared.ops.inbox_probe import read_inbox
from shared.ops.metrics_server import metrics_port
from shared.ops.report import ProgramRow, StatusReport, collect
from shared.ops.table import Thresholds, as_json, problems, render
from shared.settings import load_settings

NOW = 1_000_000.0


def row(
    name: str = "webhook", state: str = "RUNNING", beat: float | None = 0.5, **extra: object
) -> ProgramRow:
    fields: dict[str, object] = {
        "host": "host-a",
        "name": name,
        "state": state,
        "pid": 10,
        "uptime_s": 100.0,
        "heartbeat_age_s": beat,
        "restarts_1h": 0,
        "source": "supervisord",
    }
    fields.update(extra)
    return ProgramRow(**fields)  # type: ignore[arg-type]


def healthy(*rows: ProgramRow) -> StatusReport:
    leader = LeaderInfo("host-a/lockkeeper/1", 7, NOW + 10)
    return StatusReport(host="host-a", at=NOW, programs=list(rows) or [row()], leader=leader)


class TestProblems:
    def test_all_running_with_a_leader_is_well(self) -> None:
        """Nothing to report: the probe passes."""
        assert problems(healthy(), Thresholds()) == []

    def test_a_program_not_running_needs_attention(self) -> None:
        """A FATAL or STOPPED program of this host is named."""
        assert problems(healthy(row(), row("warmup", "FATAL")), Thresholds()) == ["warmup@host-a is FATAL"]

    def test_stale_or_missing_heartbeat_needs_attention(self) -> None:
        """A process that stopped beating, or never beats after its grace period, is named."""
        found = problems(healthy(row(beat=30.0), row("jobs", beat=None)), Thresholds())
        assert found == [
            "webhook@host-a: heartbeat is 30.0 s old",
            "jobs@host-a is RUNNING but sends no heartbeat",
        ]

    def test_no_leader_needs_attention(self) -> None:
        """An expired lease fails the probe."""
        report = healthy()
        report.leader = LeaderInfo(None, 7, NOW - 1)
        assert problems(report, Thresholds()) == ["no leader: nobody holds the lease"]

    def test_a_silent_host_needs_attention(self) -> None:
        """A host known through Redis whose processes all stopped beating is named."""
        report = healthy()
        report.host_beats = {"host-a": NOW, "host-b": NOW - 60}
        assert problems(report, Thresholds()) == ["host host-b has sent no heartbeat for 60 s"]


class TestRender:
    def test_table_and_json_show_every_part(self) -> None:
        """Missing parts read n/a; JSON carries ok and problems."""
        report = healthy(row(), row("warmup", "FATAL", beat=None, pid=None, uptime_s=None))
        found = problems(report, Thresholds())
        text = render(report, found)
        assert "warmup" in text and "FATAL" in text and "jobs: n/a" in text and "KIE balance: n/a" in text
        assert "leader: host-a/lockkeeper/1 epoch 7" in text
        data = as_json(report, found)
        assert data["ok"] is False and data["problems"] == found


class TestInboxProbe:
    async def test_counts_lag_pending_and_oldest_pending_per_consumer(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """Delivered but unacknowledged entries show per consumer with their age."""
        keys = Keys(key_prefix)
        for n in range(3):
            await redis_client.xadd(keys.inbox, {"n": str(n)})
        await redis_client.xgroup_create(keys.inbox, "bot", id="0")
        await redis_client.xreadgroup("bot", "bot:bot_00", {keys.inbox: ">"}, count=2)
        await redis_client.xadd(keys.inbox_dead, {"n": "x"})
        inbox = await read_inbox(redis_client, keys, now=time.time() + 5)
        assert (inbox.length, inbox.lag, inbox.pending, inbox.dead_letters) == (3, 1, 2, 1)
        assert [(c.name, c.pending) for c in inbox.consumers] == [("bot:bot_00", 2)]
        assert inbox.oldest_pending_age_s is not None and inbox.oldest_pending_age_s >= 5

    async def test_a_missing_stream_reads_as_empty(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """Before the first update there is nothing to wait for."""
        inbox = await read_inbox(redis_client, Keys(key_prefix))
        assert (inbox.length, inbox.pending, inbox.consumers) == (0, 0, ())


class TestCollect:
    async def test_other_hosts_come_from_heartbeats(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """Without a supervisord, every heartbeat is a row, and a missing jobs table reads n/a."""
        keys = Keys(key_prefix)
        now = time.time()
        beat = {
            "name": "webhook",
            "program": "webhook",
            "host": "host-b",
            "pid": 5,
            "started": now - 50,
            "beat": now,
            "state": "running",
        }
        beat["expires"] = now + 5
        await redis_client.hset(keys.heartbeats("host-b"), "webhook", json.dumps(beat))
        await redis_client.zadd(keys.hosts, {"host-b": now})
        report = await collect(redis_client, keys, "host-a", None, None)
        assert [(r.host, r.name, r.state, r.source) for r in report.programs] == [
            ("host-b", "webhook", "RUNNING", "heartbeat")
        ]
        assert report.jobs is None and report.kie is None


class TestMetricsPort:
    def test_ports_follow_program_and_worker_number(self) -> None:
        """Each program has its offset; numbered workers take base+10+N; base 0 serves nothing."""
        settings = load_settings({"METRICS_PORT_BASE": "9400"})
        webhook = ProcessIdentity("webhook", "webhook", "webhook", "h", 1)
        worker = ProcessIdentity("bot", "bot_03", "bot", "h", 1)
        assert metrics_port(settings, webhook) == 9402
        assert metrics_port(settings, worker) == 9413
        assert metrics_port(load_settings({}), webhook) is None
