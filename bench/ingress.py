"""Ingress benchmark: our durable webhook receiver vs python-telegram-bot's ``run_webhook``.

Both servers run as separate processes and get the same load from ``bench.load`` (another process):
distinct updates over 32 concurrent connections for a fixed time (wrk; ``bench.load`` without it). Ours answers 200 only after Redis holds the
update; PTB answers 200 after putting it on an in-memory queue. The result is written to
``bench/results/ingress.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis

RESULTS = Path(__file__).parent / "results" / "ingress.json"
TOKEN = "123456:bench-token"
SECRET = "bench-secret"
CONCURRENCY = 32
DURATION_S = int(os.environ.get("BENCH_INGRESS_SECONDS", "10"))
PY_COUNT = 20000
WRK_SCRIPT = Path(__file__).parent / "wrk_updates.lua"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listened on port {port} within {seconds}s")


@contextmanager
def serving(args: list[str], port: int, env: dict[str, str]) -> Iterator[None]:
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port, process)
        yield
    finally:
        process.terminate()
        process.wait(30)


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
    port, prefix = free_port(), f"bench:{uuid.uuid4().hex[:8]}:"
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
    client = redis.Redis.from_url(REDIS_URL)
    try:
        with serving([sys.executable, "-m", "services.webhook"], port, env):
            result = load(port)
        result["stored_in_redis"] = int(client.xlen(f"{prefix}{{inbox}}:updates"))
    finally:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
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
