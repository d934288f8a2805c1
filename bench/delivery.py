"""Callback-to-delivery benchmark: from KIE's callback to the result in the user's chat, for 1,000 jobs.

The KIE and Bot API emulators, the ``webhook`` and the ``jobs`` programs run as separate processes on a
private database and Redis prefix. 1,000 jobs are created through the job store; the KIE emulator
finishes each within a second and calls back. Latency per job is ``jobs.delivered_at`` (set once the
media message was sent) minus the time of the callback attempt the webhook accepted. The seed had no
callback route at all (it polled), so there is no baseline to run beside it. Writes
``bench/results/delivery.json``.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from bench._support import free_port, private_database, private_prefix, serving, venv_path
from shared.jobs import JobStore, NewJob
from shared.ledger import Ledger, MovementKind

RESULTS = Path(__file__).parent / "results" / "delivery.json"
JOBS = int(os.environ.get("BENCH_DELIVERY_JOBS", "1000"))
USERS = 50
TOKEN = "123456:bench-token"
KIE_KEY = "bench-kie-key"


def _emulators(telegram_port: int, kie_port: int) -> list[tuple[list[str], int]]:
    telegram = [sys.executable, "-m", "emulators.telegram", "--port", str(telegram_port), "--token", TOKEN]
    kie = [
        sys.executable,
        "-m",
        "emulators.kie",
        "--port",
        str(kie_port),
        "--api-key",
        f"{KIE_KEY}=1000000000",
    ]
    kie += ["--no-rate-limits", "--duration", "all=0.5", "--seed", "3"]
    return [(telegram, telegram_port), (kie, kie_port)]


def _env(database_url: str, prefix: str, port: int, telegram_port: int, kie_port: int) -> dict[str, str]:
    kie_url = f"http://127.0.0.1:{kie_port}"
    return {
        **os.environ,
        "PATH": venv_path(),
        "DATABASE_URL": database_url,
        "REDIS_KEY_PREFIX": prefix,
        "PORT": str(port),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{telegram_port}",
        "TELEGRAM_RATE_PER_SECOND": "10000",
        "TELEGRAM_RATE_PER_CHAT_SECOND": "1000",
        "WEBHOOK_SECRET_TOKEN": "bench-secret",
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "KIE_API_KEY": KIE_KEY,
        "KIE_API_BASE_URL": kie_url,
        "KIE_UPLOAD_BASE_URL": kie_url,
        "KIE_CREATE_TASKS_PER_10_SECONDS": "10000",
        "JOBS_CONCURRENCY": "32",
        "JOBS_OUTBOX_POLL_SECONDS": "0.1",
        "LOG_LEVEL": "WARNING",
    }


async def _create_jobs(database_url: str) -> None:
    async with AsyncConnectionPool(database_url, open=False, kwargs={"autocommit": True}) as pool:
        ledger, store = Ledger(pool), JobStore(pool)
        for user in range(1, USERS + 1):
            await ledger.ensure_user(user, language="en")
            await ledger.grant(user, 1_000_000, MovementKind.GRANT, "bench", f"bench:{user}")
        for n in range(JOBS):
            user = n % USERS + 1
            params = {"prompt": f"bench {n}", "aspect_ratio": "1:1"}
            await store.create_job(NewJob(user, user, "z-image", params, 1, 120, 1))


def _delivered(database_url: str) -> dict[str, datetime]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT kie_task_id, delivered_at FROM jobs"
            " WHERE delivered_at IS NOT NULL AND kie_task_id IS NOT NULL"
        ).fetchall()
    return {row[0]: row[1] for row in rows}


def _create_chat_users(telegram_port: int) -> None:
    """Telegram only delivers to chats that exist: make each bench user a user of the emulator."""
    for user in range(1, USERS + 1):
        body = json.dumps({"first_name": f"bench{user}", "user_id": user}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{telegram_port}/_emulator/users",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=10).close()


def _accepted_callbacks(kie_port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{kie_port}/_emulator/callbacks", timeout=30) as response:
        attempts = json.load(response)["result"]
    first: dict[str, float] = {}
    for attempt in attempts:
        if attempt["delivered"]:
            first.setdefault(attempt["taskId"], float(attempt["at"]))
    return first


def _measure(database_url: str, kie_port: int, telegram_port: int) -> dict[str, Any]:
    _create_chat_users(telegram_port)
    started = time.monotonic()
    asyncio.run(_create_jobs(database_url))
    delivered: dict[str, datetime] = {}
    while len(delivered) < JOBS and time.monotonic() - started < 300:
        time.sleep(1.0)
        delivered = _delivered(database_url)
    callbacks = _accepted_callbacks(kie_port)
    latencies = sorted(
        (delivered[task].timestamp() - callbacks[task]) * 1000 for task in delivered if task in callbacks
    )
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "jobs": JOBS,
        "delivered": len(delivered),
        "measured": len(latencies),
        "p50_ms": round(quantiles[49], 1),
        "p99_ms": round(quantiles[98], 1),
        "max_ms": round(latencies[-1], 1),
        "wall_s": round(time.monotonic() - started, 1),
    }


def run() -> dict[str, Any]:
    """Run 1,000 jobs end to end and measure callback-to-delivery latency."""
    port, telegram_port, kie_port = free_port(), free_port(), free_port()
    with private_database() as database_url, private_prefix() as prefix:
        env = _env(database_url, prefix, port, telegram_port, kie_port)
        migrate = [sys.executable, "-m", "shared.migrations"]
        subprocess.run(migrate, env=env, check=True, capture_output=True)
        (telegram, _), (kie, _) = _emulators(telegram_port, kie_port)
        with (
            serving(telegram, telegram_port, dict(os.environ)),
            serving(kie, kie_port, dict(os.environ)),
            serving([sys.executable, "-m", "services.webhook"], port, env),
            serving([sys.executable, "-m", "services.jobs"], None, env),
        ):
            summary = _measure(database_url, kie_port, telegram_port)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def table(summary: dict[str, Any]) -> str:
    return "\n".join(
        [
            "| callback → delivery | p50 ms | p99 ms | max ms | jobs delivered |",
            "|---|---|---|---|---|",
            f"| TRT jobs program | {summary['p50_ms']} | {summary['p99_ms']} | {summary['max_ms']} | "
            f"{summary['delivered']}/{summary['jobs']} |",
        ]
    )


if __name__ == "__main__":
    sys.stdout.write(table(run()) + "\n")
