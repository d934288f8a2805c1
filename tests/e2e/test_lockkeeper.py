"""Failover of the leader lease with two hosts: two supervisord systems sharing Redis and PostgreSQL.

Each host has its own HOST_ID, port and var/; both share the Redis key prefix and one private
PostgreSQL database. A 50 ms sampler reads both hosts' /health throughout and must never see two live
leaders; the fenced leader activity log (written by the lock keeper's own leader duty) must show that
no two terms ever acted at once and that no stale epoch wrote after a newer one.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from services.lockkeeper.beat import RESOURCE
from shared.lease.fencing import StaleEpoch, check_fence
from tests.conftest import free_port, fresh_database
from tests.e2e.hosts import (
    HealthSampler,
    activity,
    assert_terms_never_overlap,
    freeze,
    leading_host,
    live_leader,
    registered_webhook,
    thaw,
)
from tests.e2e.system import FORBIDDEN_LOG_TEXT, System, prepare_home, start, wait_until
from tests.e2e.telegram_control import TelegramControl
from tests.shared.servers import RedisServer

pytestmark = pytest.mark.e2e

TTL = 2.0


@dataclass
class Cluster:
    """Host ``a`` (started first, so the first leader) and host ``b``."""

    a: System
    b: System
    database_url: str

    def host(self, system: System) -> str:
        return system.env["HOST_ID"]

    def other(self, system: System) -> System:
        return self.b if system is self.a else self.a

    def leader(self) -> System | None:
        hosts = {self.host(s): s for s in (self.a, self.b)}
        for system in (self.a, self.b):
            leading = leading_host(system)
            if leading is not None:
                return hosts.get(leading)
        return None

    def sampler(self) -> HealthSampler:
        return HealthSampler({"a": self.a, "b": self.b})


class UpdateStream(threading.Thread):
    """Users take turns sending a distinct text every 100 ms until the block ends; checks each got a reply
    quoting it. Each user writes every 2.5 s, below the bot's per-user message limit."""

    def __init__(self, telegram: TelegramControl, users: int = 25) -> None:
        super().__init__(daemon=True)
        self._telegram = telegram
        self._users = [telegram.create_user(f"steady{i}") for i in range(users)]
        self._stopped = threading.Event()
        self.sent: list[tuple[int, str]] = []

    def __enter__(self) -> UpdateStream:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped.set()
        self.join()

    def run(self) -> None:
        while not self._stopped.wait(0.1):
            user = self._users[len(self.sent) % len(self._users)]
            text = f"steady-{uuid.uuid4().hex[:8]}"
            self._telegram.send_text(user, text)
            self.sent.append((user, text))

    def all_answered(self) -> bool:
        replies = {
            user: " ".join(m.get("text", "") for m in self._telegram.bot_messages(user))
            for user in self._users
        }
        return all(text in replies[user] for user, text in self.sent)


def start_host(stack: ExitStack, xprocess: Any, base: Path, env: dict[str, str]) -> System:
    """Start one host under ``base`` (kept short: supervisor.sock must fit a unix socket path)."""
    base.mkdir()
    stack.callback(shutil.rmtree, base, ignore_errors=True)
    generator = start(xprocess, prepare_home(base), int(env["PORT"]), env)
    system = next(generator)
    stack.callback(generator.close)
    return system


def start_cluster(stack: ExitStack, xprocess: Any, factory: Any, **overrides: str) -> Cluster:
    database_url = stack.enter_context(fresh_database())
    systems = []
    for name in ("a", "b"):
        port = free_port()
        webhook_url = f"http://127.0.0.1:{port}/telegram/webhook"
        env = factory(PORT=str(port), LEASE_TTL_SECONDS=str(TTL), WEBHOOK_URL=webhook_url)
        env.update(DATABASE_URL=database_url, **overrides)
        base = Path(tempfile.gettempdir()) / f"trt-{name}-{uuid.uuid4().hex[:8]}"
        system = start_host(stack, xprocess, base, env)
        systems.append(system)
        if name == "a":
            host = env["HOST_ID"]
            wait_until(lambda: leading_host(system) == host, 15, "host a leading")  # noqa: B023
    return Cluster(systems[0], systems[1], database_url)


@pytest.fixture(name="cluster", params=["redis", "postgres"])
def _cluster(
    request: pytest.FixtureRequest, xprocess: Any, tmp_path: Path, system_env_factory: Any
) -> Iterator[Cluster]:
    """Two hosts with LOCK_BACKEND from the parameter; host a leads when the test starts."""
    with ExitStack() as stack:
        yield start_cluster(stack, xprocess, system_env_factory, LOCK_BACKEND=request.param)


def assert_clean_logs(system: System) -> None:
    for name, text in system.logs().items():
        for forbidden in FORBIDDEN_LOG_TEXT:
            assert forbidden not in text, f"{name} contains {forbidden!r}"


def stale_write_is_rejected(database_url: str, epoch: int) -> bool:
    """A fenced write with ``epoch`` through shared.lease.fencing, as a resumed old leader would make it."""

    async def attempt() -> bool:
        async with await psycopg.AsyncConnection.connect(database_url) as conn:
            try:
                async with conn.transaction():
                    await check_fence(conn, RESOURCE, epoch, holder="resumed-old-leader")
                    await conn.execute(
                        "INSERT INTO leader_activity (epoch, holder) VALUES (%s, 'stale')", (epoch,)
                    )
            except StaleEpoch:
                return True
        return False

    return asyncio.run(attempt())


class TestFailover:
    def test_sigkill_of_the_leaders_lockkeeper_hands_over_within_ttl(
        self, cluster: Cluster, telegram_url: str, telegram: TelegramControl
    ) -> None:
        """kill -9 of the leader's lockkeeper while its host cannot restart it (supervisord paused, as in
        a host failure): the other host leads within TTL + 1 s, never two at once, and a steady stream of
        updates sent meanwhile is answered in full."""
        wait_until(lambda: registered_webhook(telegram_url) == cluster.a.env["WEBHOOK_URL"], 10, "a's hook")
        supervisord = cluster.a.process
        assert supervisord is not None
        lockkeeper = cluster.a.processes()["lockkeeper"]["pid"]  # no XML-RPC while supervisord is paused
        b = cluster.host(cluster.b)
        with cluster.sampler() as sampler, UpdateStream(telegram) as stream:
            time.sleep(0.5)
            killed_at = time.time()
            os.kill(supervisord.pid, signal.SIGSTOP)
            try:
                os.kill(lockkeeper, signal.SIGKILL)
                wait_until(lambda: cluster.leader() is cluster.b, TTL + 5, "host b leading")
            finally:
                os.kill(supervisord.pid, signal.SIGCONT)
            time.sleep(TTL)
        # Measured on the sampler's clock (a /health read every 50 ms), not on this slower polling loop.
        took = next(s.at for s in sampler.samples if s.at > killed_at and b in s.leaders.values()) - killed_at
        assert took <= TTL + 1, took
        sampler.assert_never_two_leaders()
        assert sampler.leaders_seen() == [cluster.host(cluster.a), b]
        wait_until(lambda: registered_webhook(telegram_url) == cluster.b.env["WEBHOOK_URL"], 5, "b's hook")
        assert len(stream.sent) > 25
        wait_until(stream.all_answered, 60, "a reply to every update sent during the failover")
        assert_terms_never_overlap(activity(cluster.database_url))
        assert_clean_logs(cluster.b)

    def test_restart_of_the_leaders_lockkeeper_hands_over_without_a_gap(self, cluster: Cluster) -> None:
        """supervisorctl restart lockkeeper on the leader: a leader again within the TTL, never two."""
        with cluster.sampler() as sampler:
            time.sleep(0.5)
            result = cluster.a.ctl("restart", "lockkeeper")
            assert result.returncode == 0, result.stderr
            time.sleep(TTL)
        sampler.assert_never_two_leaders()
        gaps, last_led = [], sampler.samples[0].at
        for sample in sampler.samples:
            if any(sample.leaders.values()):
                gaps.append(sample.at - last_led)
                last_led = sample.at
        assert max(gaps) < TTL, max(gaps)
        assert "lease_released" in cluster.a.logs()["lockkeeper.log"]

    def test_frozen_leader_is_replaced_and_its_stale_writes_rejected(self, cluster: Cluster) -> None:
        """SIGSTOP of the leader host past the TTL, then SIGCONT: b leads and a's old epoch is fenced."""
        old_epoch = max(row[1] for row in wait_until(lambda: activity(cluster.database_url), 10, "a beat"))
        with cluster.sampler() as sampler:
            frozen = freeze(cluster.a)
            try:
                wait_until(lambda: leading_host(cluster.b) == cluster.host(cluster.b), TTL + 2, "b leading")
                time.sleep(TTL)
            finally:
                thaw(frozen)
            time.sleep(TTL)
        assert cluster.leader() is cluster.b
        sampler.assert_never_two_leaders()
        rows = activity(cluster.database_url)
        assert_terms_never_overlap(rows)
        assert max(row[1] for row in rows) > old_epoch
        assert stale_write_is_rejected(cluster.database_url, old_epoch)
        lockkeeper_log = cluster.a.logs()["lockkeeper.log"]
        assert "lease_lost" in lockkeeper_log
        assert_clean_logs(cluster.a)


SAME_HOST_TTL = 5.0


class TestSameHostRestart:
    @pytest.fixture(name="host", params=["redis", "postgres"])
    def _host(
        self, request: pytest.FixtureRequest, xprocess: Any, system_env_factory: Any, database_url: str
    ) -> Iterator[System]:
        """One host alone, at LEASE_TTL_SECONDS=5 as in production-like settings."""
        port = free_port()
        env = system_env_factory(
            PORT=str(port),
            LEASE_TTL_SECONDS=str(SAME_HOST_TTL),
            WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/webhook",
            LOCK_BACKEND=request.param,
        )
        with ExitStack() as stack:
            base = Path(tempfile.gettempdir()) / f"trt-s-{uuid.uuid4().hex[:8]}"
            system = start_host(stack, xprocess, base, env)
            wait_until(lambda: leading_host(system) == env["HOST_ID"], 30, "the host leading")
            yield system

    def test_sigkill_of_the_lockkeeper_is_followed_by_a_new_term_at_once(
        self, host: System, database_url: str
    ) -> None:
        """kill -9 of the lone host's lockkeeper: its restarted keeper proves the old pid gone and takes a
        new term (next epoch) within the restart time, not after the TTL plus a grace period."""
        wait_until(lambda: activity(database_url), 10, "a fenced beat")
        with HealthSampler({"a": host}) as sampler:
            time.sleep(0.5)
            leader = live_leader(host)
            assert leader is not None
            old_epoch = int(leader["epoch"])  # the term the killed keeper holds
            killed_at = time.time()
            os.kill(host.processes()["lockkeeper"]["pid"], signal.SIGKILL)
            back = wait_until(
                lambda: next((s for s in sampler.samples if (s.epochs["a"] or 0) > old_epoch), None),
                3 * SAME_HOST_TTL,
                "a new term",
            )
            time.sleep(1)
        took = back.at - killed_at
        print(f"same-host takeover: new term {took:.2f} s after SIGKILL (LEASE_TTL_SECONDS={SAME_HOST_TTL})")
        assert took < SAME_HOST_TTL, took
        sampler.assert_never_two_leaders()
        assert "lease_predecessor_gone" in host.logs()["lockkeeper.log"]
        rows = wait_until(lambda: [r for r in activity(database_url) if r[1] > old_epoch], 5, "a new beat")
        assert rows
        assert_terms_never_overlap(activity(database_url))


class TestPostgresBackend:
    @pytest.fixture(name="cluster")
    def _cluster(self, xprocess: Any, tmp_path: Path, system_env_factory: Any) -> Iterator[Cluster]:
        with ExitStack() as stack:
            yield start_cluster(stack, xprocess, system_env_factory, LOCK_BACKEND="postgres")

    def test_cutting_the_leaders_connection_never_makes_two_leaders(self, cluster: Cluster) -> None:
        """pg_terminate_backend on the leader's lease connection: one leader throughout, within TTL + 1 s."""
        with cluster.sampler() as sampler:
            time.sleep(0.5)
            with psycopg.connect(cluster.database_url, autocommit=True) as conn:
                killed = conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE %s",
                    (f"trt-lease {cluster.host(cluster.a)}/%",),
                ).fetchall()
            assert killed == [(True,)]
            time.sleep(TTL + 1)
            assert cluster.leader() is not None
        sampler.assert_never_two_leaders()
        assert_terms_never_overlap(activity(cluster.database_url))
        assert "lease_renew_failed" in cluster.a.logs()["lockkeeper.log"]


class TestRedisOutage:
    @pytest.fixture(name="redis_server")
    def _redis_server(self, tmp_path: Path) -> Iterator[RedisServer]:
        server = RedisServer(port=free_port(), directory=tmp_path)
        server.start()
        yield server
        server.stop()

    @pytest.fixture(name="cluster")
    def _cluster(
        self, xprocess: Any, tmp_path: Path, system_env_factory: Any, redis_server: RedisServer
    ) -> Iterator[Cluster]:
        with ExitStack() as stack:
            yield start_cluster(stack, xprocess, system_env_factory, REDIS_URL=redis_server.url)

    def test_leader_steps_down_and_leadership_returns_after_redis(
        self, cluster: Cluster, redis_server: RedisServer
    ) -> None:
        """Redis gone longer than the TTL: the leader stops acting; a leader is back within a TTL after."""
        redis_server.stop()
        stopped_at = time.time()
        time.sleep(TTL + 1.5)
        redis_server.start()
        back_at, back_wall = time.monotonic(), time.time()
        wait_until(cluster.leader, TTL, "a leader after Redis returned")
        assert time.monotonic() - back_at <= TTL
        during_outage = [
            row for row in activity(cluster.database_url) if stopped_at + TTL < row[3] < back_wall
        ]
        assert during_outage == [], "a leader acted while its lease could not be confirmed"
        assert "lease_lost" in cluster.a.logs()["lockkeeper.log"]
        wait_until(lambda: len(activity(cluster.database_url)) > 0, TTL, "the new leader's fenced beat")
        assert_terms_never_overlap(activity(cluster.database_url))


def status_of(system: System) -> tuple[int, dict[str, Any]]:
    """``python -m shared.ops.status --json`` as an operator on ``system``'s host runs it."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "shared.ops.status",
            "--json",
            "--socket",
            str(system.var / "supervisor.sock"),
        ],
        capture_output=True,
        text=True,
        env=system.env,
        timeout=60,
    )
    return done.returncode, json.loads(done.stdout)


@pytest.mark.parametrize("cluster", ["redis"], indirect=True)
class TestStatusOfTwoHosts:
    def test_status_shows_both_hosts_and_the_leader(self, cluster: Cluster) -> None:
        """From host b: b's processes from supervisord, a's from heartbeats, a as leader; exit 1 while one of
        b's programs is stopped."""
        a, b = cluster.host(cluster.a), cluster.host(cluster.b)
        code, report = wait_until(
            lambda: (result := status_of(cluster.b))[0] == 0 and result, 60, "status 0 on host b"
        )
        rows = {(row["host"], row["name"]): row for row in report["programs"]}
        for host, source in ((a, "heartbeat"), (b, "supervisord")):
            for name in ("webhook", "jobs", "lockkeeper", "bot:bot_00", "bot:bot_01"):
                assert rows[(host, name)]["source"] == source, (host, name)
        assert report["leader"]["live"] and a in report["leader"]["holder"]
        assert cluster.b.ctl("stop", "jobs").returncode == 0
        code, report = status_of(cluster.b)
        assert code == 1
        assert any(problem.startswith(f"jobs@{b}") for problem in report["problems"]), report["problems"]
