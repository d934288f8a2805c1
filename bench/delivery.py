"""Delivery at Telegram's limit: 1,000 jobs finishing at once, sent at the configured rate.

The KIE and Bot API emulators, the ``webhook`` and the ``jobs`` programs run as separate processes on a
private database and Redis prefix, with the limiter at ``BENCH_DELIVERY_RATE`` sends per second
(default 30, Telegram's documented bulk limit and the shipped setting) and 1 per chat per second.
1,000 jobs over ``USERS`` chats are created through the job store; the KIE emulator finishes each
within a second and calls back. The results come as fast as the jobs program submits and finishes
them, so the limit binds only while a backlog of at least a second's sends is waiting: the achieved
rate is counted over those seconds (and over the whole run beside it).

Reported: the achieved send rate (every rate-limited Bot API call the emulator answered, from the
first to the last) divided by the configured limit, and for each job the time it waited beyond its
place in the queue: a perfect first-come first-served limiter would deliver the k-th callback at
``max(callback_k, ideal_{k-1} + calls per job / limit)``; the excess over that is the wait the limiter
added by serving out of order or idling. Callback-to-delivery latency (``jobs.delivered_at`` minus the
accepted callback) is kept. The seed had no callback route at all (it polled), so there is no
baseline to run beside it. Writes ``bench/results/delivery.json``.
"""

from __future__ import annotations

import asyncio
import bisect
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

from bench._support import free_port, machine, private_database, private_prefix, serving, venv_path
from shared.jobs import JobStore, NewJob
from shared.ledger import Ledger, MovementKind

RESULTS = Path(__file__).parent / "results" / "delivery.json"
JOBS = int(os.environ.get("BENCH_DELIVERY_JOBS", "1000"))
RATE = int(os.environ.get("BENCH_DELIVERY_RATE", "30"))
# Enough chats that a chat's 1-per-second limit never binds before the global one at RATE.
USERS = 200
LIMITED_PREFIXES = ("send", "copy", "forward", "edit")
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
        "TELEGRAM_RATE_PER_SECOND": str(RATE),
        "TELEGRAM_RATE_PER_CHAT_SECOND": "1",
        "WEBHOOK_SECRET_TOKEN": "bench-secret-of-at-least-32-characters",
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


def _limited_sends(telegram_port: int) -> list[float]:
    """When the emulator answered each rate-limited call with success, oldest first."""
    url = f"http://127.0.0.1:{telegram_port}/_emulator/calls"
    with urllib.request.urlopen(url, timeout=60) as response:
        calls = json.load(response)["result"]
    return sorted(
        float(c["at"]) for c in calls if c["method"].startswith(LIMITED_PREFIXES) and c["status"] == 200
    )


def _beyond_place(callbacks: list[float], delivered: list[float], spacing: float) -> list[float]:
    """Per job in callback order, ms delivered after a perfect FIFO limiter would have delivered it."""
    ideal, excess = float("-inf"), []
    for called, done in zip(callbacks, delivered, strict=True):
        ideal = max(called, ideal + spacing)
        excess.append(max(0.0, done - ideal) * 1000)
    return sorted(excess)


def _backlogged_rate(sends: list[float], callbacks: list[float], calls_per_job: float) -> tuple[float, int]:
    """Sends per second over the whole seconds that began with at least a second's sends waiting."""
    counted, seconds, start = 0, 0, sends[0]
    while start < sends[-1]:
        waiting = bisect.bisect_right(callbacks, start) * calls_per_job - bisect.bisect_left(sends, start)
        if waiting >= RATE:
            counted += bisect.bisect_left(sends, start + 1) - bisect.bisect_left(sends, start)
            seconds += 1
        start += 1
    return (counted / seconds if seconds else 0.0), seconds


def _at_limit(sends: list[float], callbacks: list[float], delivered: list[float]) -> dict[str, Any]:
    """Achieved rate over the configured limit, and the wait beyond each job's place in the queue."""
    overall = (len(sends) - 1) / (sends[-1] - sends[0])
    calls_per_job = len(sends) / len(delivered)
    rate, backlogged_s = _backlogged_rate(sends, callbacks, calls_per_job)
    excess = _beyond_place(callbacks, delivered, calls_per_job / RATE)
    quantiles = statistics.quantiles(excess, n=100)
    first = sends[0]
    per_second = [0] * (int(sends[-1] - first) + 1)
    for sent in sends:
        per_second[int(sent - first)] += 1
    return {
        "configured_rate_per_s": RATE,
        "callbacks_spread_s": round(callbacks[-1] - callbacks[0], 2),
        "backlogged_seconds": backlogged_s,
        "overall_rate_per_s": round(overall, 2),
        "sends_per_second": per_second,
        "limited_calls": len(sends),
        "limited_calls_per_job": round(calls_per_job, 2),
        "achieved_rate_per_s": round(rate, 2),
        "rate_ratio": round(rate / RATE, 3),
        "beyond_place_p50_ms": round(quantiles[49], 1),
        "beyond_place_p99_ms": round(quantiles[98], 1),
        "beyond_place_max_ms": round(excess[-1], 1),
    }


def _measure(database_url: str, kie_port: int, telegram_port: int) -> dict[str, Any]:
    _create_chat_users(telegram_port)
    started = time.monotonic()
    asyncio.run(_create_jobs(database_url))
    delivered: dict[str, datetime] = {}
    while len(delivered) < JOBS and time.monotonic() - started < 600:
        time.sleep(1.0)
        delivered = _delivered(database_url)
    callbacks = _accepted_callbacks(kie_port)
    both = sorted((callbacks[task], delivered[task].timestamp()) for task in delivered if task in callbacks)
    latencies = sorted((done - called) * 1000 for called, done in both)
    quantiles = statistics.quantiles(latencies, n=100)
    limit = _at_limit(_limited_sends(telegram_port), [c for c, _ in both], [d for _, d in both])
    return {
        **limit,
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
            summary = {"machine": machine(), **_measure(database_url, kie_port, telegram_port)}
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


def rows(summary: dict[str, Any]) -> list[str]:
    """The README's rows: rate against the limit, wait beyond place, callback-to-delivery latency."""
    jobs, rate = summary["jobs"], summary["configured_rate_per_s"]
    return [
        f"| {jobs:,} jobs finishing as fast as they run, limiter at {rate}/s and 1/s per chat: send rate"
        f" while a backlog waited ÷ limit (`delivery`) | {summary['achieved_rate_per_s']}/s over"
        f" {summary['backlogged_seconds']} s ({summary['overall_rate_per_s']}/s over the whole run;"
        f" {summary['limited_calls_per_job']} limited calls per job) | the configured limit, {rate}/s"
        f" | {summary['rate_ratio']:.2f} |",
        f"| same burst: wait beyond the job's place in a first-come first-served queue (`delivery`)"
        f" | p50 {summary['beyond_place_p50_ms']:,.0f} ms, p99 {summary['beyond_place_p99_ms']:,.0f} ms"
        f" | a perfect FIFO limiter: 0 | — |",
        f"| same burst: KIE callback → result in the chat (`delivery`) | p50 {summary['p50_ms']:,.0f} ms,"
        f" p99 {summary['p99_ms']:,.0f} ms (queueing at the limit included) | the seed had no callback"
        f" route (it polled) | — |",
    ]


if __name__ == "__main__":
    sys.stdout.write(table(run()) + "\n")
