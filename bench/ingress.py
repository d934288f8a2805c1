"""Ingress benchmark: our durable webhook receiver vs python-telegram-bot's ``run_webhook``.

Both servers run as separate processes and get the same load from another process: distinct updates
over 32 concurrent connections for a fixed time (wrk; ``bench.load`` when wrk is missing). Ours answers
200 only after Redis holds the update; PTB answers 200 after putting it on an in-memory queue. The
result is written to ``bench/results/ingress.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import redis

from bench._support import REDIS_URL, free_port, private_prefix, serving

RESULTS = Path(__file__).parent / "results" / "ingress.json"
TOKEN = "123456:bench-token"
SECRET = "bench-secret"
CONCURRENCY = 32
DURATION_S = int(os.environ.get("BENCH_INGRESS_SECONDS", "10"))
PY_COUNT = 20000
WRK_SCRIPT = Path(__file__).parent / "wrk_updates.lua"


def load(port: int) -> dict[str, Any]:
    """Drive the server with wrk when installed (one thread, so the server keeps the other core)."""
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    if shutil.which("wrk") is None:
        return _python_load(url)
    env = {**os.environ, "BENCH_SECRET": SECRET, "BENCH_FIRST_ID": "0"}
    base = ["wrk", "-t1", f"-c{CONCURRENCY}", "-s", str(WRK_SCRIPT)]
    subprocess.run([*base, "-d2s", url], check=True, capture_output=True, env=env)  # warm-up
    env["BENCH_FIRST_ID"] = "50000000"
    output = subprocess.run(
        [*base, f"-d{DURATION_S}s", url], check=True, capture_output=True, text=True, env=env
    )
    result: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
    result["accepted"] = result["requests"] - result["non_2xx"]
    result["updates_per_s"] = result["accepted"] / result["seconds"]
    result["load_generator"] = "wrk"
    return result


def _python_load(url: str) -> dict[str, Any]:
    args = [sys.executable, "-m", "bench.load", url, SECRET, str(PY_COUNT), str(CONCURRENCY), "1"]
    result: dict[str, Any] = json.loads(
        subprocess.run(args, check=True, capture_output=True, text=True).stdout
    )
    result["updates_per_s"] = result["accepted"] / result["seconds"]
    result["load_generator"] = "python"
    return result


def measure_ours(telegram_url: str) -> dict[str, Any]:
    port = free_port()
    with private_prefix() as prefix:
        env = {
            **os.environ,
            "PORT": str(port),
            "REDIS_URL": REDIS_URL,
            "REDIS_KEY_PREFIX": prefix,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": telegram_url,
            "WEBHOOK_SECRET_TOKEN": SECRET,
            "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
            "LOG_LEVEL": "WARNING",
        }
        with serving([sys.executable, "-m", "services.webhook"], port, env):
            result = load(port)
        client = redis.Redis.from_url(REDIS_URL)
        result["stored_in_redis"] = int(client.xlen(f"{prefix}{{inbox}}:updates"))
        client.close()
    return result


def measure_ptb(telegram_url: str) -> dict[str, Any]:
    port = free_port()
    args = [sys.executable, "-m", "bench.ptb_webhook", str(port), SECRET, telegram_url, TOKEN]
    with serving(args, port, dict(os.environ)):
        return load(port)


def run() -> dict[str, Any]:
    """Measure both receivers in one run and write the results file."""
    telegram_port = free_port()
    emulator = [sys.executable, "-m", "emulators.telegram", "--port", str(telegram_port), "--token", TOKEN]
    with serving(emulator, telegram_port, dict(os.environ)):
        telegram_url = f"http://127.0.0.1:{telegram_port}"
        ours = measure_ours(telegram_url)
        ptb = measure_ptb(telegram_url)
    summary = {
        "duration_s": DURATION_S,
        "concurrency": CONCURRENCY,
        "ours": ours,
        "ptb_run_webhook": ptb,
        "throughput_ratio": ours["updates_per_s"] / ptb["updates_per_s"],
        "p99_ratio": ours["p99_ms"] / ptb["p99_ms"],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def table(summary: dict[str, Any]) -> str:
    rows = [
        ("TRT webhook (durable, Redis)", summary["ours"]),
        ("PTB run_webhook (in memory)", summary["ptb_run_webhook"]),
    ]
    lines = ["| receiver | updates/s | p50 ms | p99 ms | accepted | stored |", "|---|---|---|---|---|---|"]
    for name, r in rows:
        stored = r.get("stored_in_redis", "-")
        rate, p50, p99 = r["updates_per_s"], r["p50_ms"], r["p99_ms"]
        lines.append(f"| {name} | {rate:.0f} | {p50:.2f} | {p99:.2f} | {r['accepted']} | {stored} |")
    lines.append(
        f"| ratio (ours/PTB) | {summary['throughput_ratio']:.2f}x | | {summary['p99_ratio']:.2f}x | | |"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(table(run()) + "\n")
