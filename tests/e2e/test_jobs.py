"""300 generation jobs through the real programs and the KIE emulator, with faults and a SIGKILL.

Faults: 10% of callbacks lost, 10% duplicated, 5% of tasks fail, 5% of createTask calls answer 429,
and the `jobs` program is SIGKILLed once mid-run. Afterwards every job is in exactly one terminal
state, its hold was captured or refunded exactly once, each user received one message per job (a
result for each success, a plain failure sentence for each failure or expiry), and each balance is
its start minus the prices of its successful jobs.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from shared.jobs import JobStore, NewJob
from shared.ledger import Ledger, MovementKind
from tests.conftest import free_port
from tests.e2e.emulators import emulator_process, kie_system_env
from tests.e2e.system import System, migrate, prepare_home, start, wait_until
from tests.e2e.telegram_control import TelegramControl

pytestmark = pytest.mark.e2e

KIE_KEY = "kie-e2e-key"
USERS = 30
JOBS = 300
START_CREDITS = 5000
TIME_LIMIT_SECONDS = 30
JOBS_CONCURRENCY = 8  # the jobs program's default: how many sends can be in flight when it dies
MEDIA_KEYS = ("photo", "video", "audio", "document", "voice")


@pytest.fixture(name="kie_url", scope="module")
def _kie_url(xprocess: Any) -> Iterator[str]:
    """The project's KIE emulator as its own process: 1-second tasks, quick callback retries."""
    options = ["--api-key", f"{KIE_KEY}=100000000", "--no-rate-limits", "--duration", "all=1"]
    yield from emulator_process(xprocess, "kie", [*options, "--retry-delays", "0.3,0.6,1.2", "--seed", "11"])


def _kie_control(kie_url: str, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        f"{kie_url}/_emulator/{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["result"]


@pytest.fixture(name="jobs_system")
def _jobs_system(xprocess: Any, tmp_path: Path, system_env_factory: Any, kie_url: str) -> Iterator[System]:
    port = free_port()
    env = system_env_factory(
        **kie_system_env(port, kie_url, KIE_KEY),
        KIE_CREATE_TASKS_PER_10_SECONDS="400",
        JOBS_SWEEP_INTERVAL_SECONDS="0.5",
        JOBS_CLAIM_IDLE_SECONDS="3",
    )
    migrate(env)
    yield from start(xprocess, prepare_home(tmp_path), port, env)


async def _fund(database_url: str, users: list[int]) -> None:
    async with AsyncConnectionPool(database_url, open=False, kwargs={"autocommit": True}) as pool:
        ledger = Ledger(pool)
        for user in users:
            await ledger.ensure_user(user, language=random.choice(["en", "ru"]))
            await ledger.grant(user, START_CREDITS, MovementKind.GRANT, "e2e start", f"e2e:{user}")


async def _create_jobs(
    database_url: str, users: list[int], system: System, kills: list[float]
) -> list[uuid.UUID]:
    """Create the jobs in batches through JobStore; SIGKILL `jobs` halfway (its time goes to ``kills``)."""
    rng = random.Random(5)
    ids: list[uuid.UUID] = []
    async with AsyncConnectionPool(database_url, open=False, kwargs={"autocommit": True}) as pool:
        store = JobStore(pool)
        for batch in range(30):
            for n in range(JOBS // 30):
                user = users[(batch * 10 + n) % len(users)]
                params = {"prompt": f"job {batch}-{n}", "aspect_ratio": "1:1"}
                new = NewJob(user, user, "z-image", params, rng.randint(2, 9), TIME_LIMIT_SECONDS, 10)
                ids.append((await store.create_job(new)).job.id)
            if batch == 15:
                os.kill(system.processes()["jobs"]["pid"], signal.SIGKILL)
                kills.append(time.time())
            await asyncio.sleep(0.3)
    return ids


def _all_told(database_url: str, ids: list[uuid.UUID]) -> bool:
    with psycopg.connect(database_url) as conn:
        sql = "SELECT count(*) FROM jobs WHERE notified_at IS NULL AND id = ANY(%s)"
        row = conn.execute(sql, (ids,)).fetchone()
    return row is not None and row[0] == 0


class TestJobsUnderFaults:
    def test_300_jobs_end_once_with_exact_credits(
        self, jobs_system: System, telegram: TelegramControl, kie_url: str, database_url: str
    ) -> None:
        """Every job ends once, is settled once, is told once; balances are exact."""
        _kie_control(
            kie_url,
            "faults/tasks",
            {"fail_fraction": 0.05, "lose_callback_fraction": 0.1, "duplicate_callback_fraction": 0.1},
        )
        _kie_control(kie_url, "faults", {"endpoint": "createTask", "kind": "429", "fraction": 0.05})
        users = [telegram.create_user(f"U{n}") for n in range(USERS)]
        asyncio.run(_fund(database_url, users))
        started = time.monotonic()
        kills: list[float] = []
        ids = asyncio.run(_create_jobs(database_url, users, jobs_system, kills))
        wait_until(lambda: _all_told(database_url, ids), 150, "every job settled and its user told", 0.5)
        assert time.monotonic() - started < 150
        wait_until(lambda: jobs_system.processes()["jobs"]["statename"] == "RUNNING", 30, "jobs restarted")
        self._check_jobs_and_ledger(database_url, ids, users)
        self._check_messages(database_url, telegram, users, kills)
        self._check_faults_happened(kie_url, jobs_system)

    def _check_faults_happened(self, kie_url: str, system: System) -> None:
        with urllib.request.urlopen(f"{kie_url}/_emulator/callbacks", timeout=30) as response:
            attempts = json.load(response)["result"]
        assert any(a.get("lost") for a in attempts) and any(a.get("duplicate") for a in attempts)
        with urllib.request.urlopen(f"{kie_url}/_emulator/calls?endpoint=createTask", timeout=30) as response:
            calls = json.load(response)["result"]
        assert any(c.get("code") == 429 for c in calls)
        assert "jobs_ready" in system.logs()["jobs.log"]
        assert system.logs()["jobs.log"].count("jobs_ready") >= 2  # started again after the SIGKILL

    def _check_jobs_and_ledger(self, database_url: str, ids: list[uuid.UUID], users: list[int]) -> None:
        with psycopg.connect(database_url) as conn:
            states: dict[str, int] = dict(
                conn.execute(
                    "SELECT state, count(*) FROM jobs WHERE id = ANY(%s) GROUP BY state", (ids,)
                ).fetchall()
            )
            assert sum(states.values()) == len(ids) == JOBS
            assert set(states) <= {"succeeded", "failed", "expired"}, states
            assert states.get("succeeded", 0) > JOBS * 0.7, states
            bad = conn.execute(
                """SELECT j.id FROM jobs j WHERE j.id = ANY(%s) AND (
                     (SELECT count(*) FROM ledger l WHERE l.job_id = j.id AND l.kind = 'hold') <> 1
                  OR (SELECT count(*) FROM ledger l
                      WHERE l.job_id = j.id AND l.kind IN ('capture', 'refund')) <> 1
                  OR (j.state = 'succeeded') <> EXISTS
                     (SELECT 1 FROM ledger l WHERE l.job_id = j.id AND l.kind = 'capture'))""",
                (ids,),
            ).fetchall()
            assert bad == []
            for user in users:
                row = conn.execute(
                    """SELECT u.balance,
                         (SELECT coalesce(sum(price_credits), 0) FROM jobs
                          WHERE user_id = u.id AND state = 'succeeded'),
                         (SELECT sum(amount) FROM ledger WHERE user_id = u.id)
                       FROM users u WHERE u.id = %s""",
                    (user,),
                ).fetchone()
                assert row is not None
                balance, spent, total = row
                assert balance == START_CREDITS - spent == total

    def _check_messages(
        self, database_url: str, telegram: TelegramControl, users: list[int], kills: list[float]
    ) -> None:
        """One message per job; a repeat only where the SIGKILL cut a send (Telegram has no idempotency)."""
        with psycopg.connect(database_url) as conn:
            rows = conn.execute(
                "SELECT user_id, count(*) FILTER (WHERE state = 'succeeded'), count(*) FILTER "
                "(WHERE state <> 'succeeded') FROM jobs WHERE user_id = ANY(%s) GROUP BY user_id",
                (users,),
            ).fetchall()
        sends_near_kill = Counter(
            int(call["params"]["chat_id"])
            for call in telegram.calls()
            if call["method"].startswith("send") and any(abs(call["at"] - at) <= 2.0 for at in kills)
        )
        repeats = 0
        for user, succeeded, failed in rows:
            messages = telegram.bot_messages(user)
            media = [m for m in messages if any(key in m for key in MEDIA_KEYS)]
            texts = [m for m in messages if "text" in m]
            assert len(media) >= succeeded and len(texts) >= failed, user
            extra = len(media) - succeeded + len(texts) - failed
            assert extra <= sends_near_kill[user], (user, extra)
            repeats += extra
        assert repeats <= JOBS_CONCURRENCY, repeats  # at most the sends in flight when `jobs` died
