"""Ingress benchmark: our durable webhook receiver vs python-telegram-bot's ``run_webhook``.

Both servers run as separate processes, side by side, and get the same load from a third: distinct
updates over 32 concurrent connections for a fixed time (wrk, one thread; ``bench.load`` when wrk is
missing). Ours answers 200 only after Redis holds the update; PTB answers 200 after putting it on an
in-memory queue. Ours writes to a private ``redis-server`` started here with the shipped persistence
(``appendonly yes``, ``appendfsync always``: the append is on disk before Redis answers), read back
with ``CONFIG GET`` and recorded with every run.

After a warm-up of each, the sides alternate for ``BENCH_INGRESS_ROUNDS`` rounds (the order flips each
round so neither always runs on a machine warmed by the other); each round gives one ratio, and the
summary is the median and range of those ratios. Every run's update_ids are new, and a run of ours
counts only if it produced no duplicate and Redis gained exactly the updates the webhook accepted.
The result is written to ``bench/results/ingress.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import redis

from bench._support import free_port, machine, private_redis, redis_persistence, serving, spread

RESULTS = Path(__file__).parent / "results" / "ingress.json"
TOKEN = "123456:bench-token"
SECRET = "bench-secret-of-at-least-32-characters"
PREFIX = "bench:"
CONCURRENCY = 32
DURATION_S = int(os.environ.get("BENCH_INGRESS_SECONDS", "10"))
ROUNDS = int(os.environ.get("BENCH_INGRESS_ROUNDS", "3"))
WARMUP_S = 2
# The shipped setting by default; "everysec" or "no" show what the fsync itself costs.
APPENDFSYNC = os.environ.get("BENCH_INGRESS_APPENDFSYNC", "always")
PY_COUNT = 20000
# Each load run numbers its updates from its own block of ids, far apart from every other run's.
ID_BLOCK = 1_000_000_000
WRK_SCRIPT = Path(__file__).parent / "wrk_updates.lua"

Run = Callable[[int, int], dict[str, Any]]


def load(port: int, block: int, seconds: int) -> dict[str, Any]:
    """Drive the server with wrk when installed (one thread, so the server keeps the other core)."""
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    if shutil.which("wrk") is None:
        return _python_load(url, block)
    env = {**os.environ, "BENCH_SECRET": SECRET, "BENCH_FIRST_ID": str(block * ID_BLOCK)}
    args = ["wrk", "-t1", f"-c{CONCURRENCY}", f"-d{seconds}s", "-s", str(WRK_SCRIPT), url]
    output = subprocess.run(args, check=True, capture_output=True, text=True, env=env)
    result: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
    result["accepted"] = result["requests"] - result["non_2xx"]
    result["updates_per_s"] = result["accepted"] / result["seconds"]
    result["load_generator"] = "wrk"
    return result


def _python_load(url: str, block: int) -> dict[str, Any]:
    count, first = str(PY_COUNT), str(block * ID_BLOCK)
    args = [sys.executable, "-m", "bench.load", url, SECRET, count, str(CONCURRENCY), first]
    result: dict[str, Any] = json.loads(
        subprocess.run(args, check=True, capture_output=True, text=True).stdout
    )
    result["updates_per_s"] = result["accepted"] / result["seconds"]
    result["load_generator"] = "python"
    return result


def _counters(port: int) -> dict[str, float]:
    """The webhook's own counts of updates stored and answered as duplicates (from ``/metrics``)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    wanted = {"trt_updates_received_total": "received", "trt_updates_duplicate_total": "duplicate"}
    found = {"received": 0.0, "duplicate": 0.0}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name in wanted:
            found[wanted[name]] = float(value)
    return found


def _entries_added(client: redis.Redis) -> int:
    """Every entry ever appended to the inbox stream (trimming does not lower it)."""
    stream = f"{PREFIX}{{inbox}}:updates"
    if not client.exists(stream):
        return 0
    info: dict[str, Any] = client.xinfo_stream(stream)
    return int(info["entries-added"])


def _checked_run(port: int, redis_url: str) -> Run:
    """One load run against ours that fails unless every accepted update is in Redis exactly once."""

    def run(block: int, seconds: int) -> dict[str, Any]:
        client = redis.Redis.from_url(redis_url)
        try:
            before, stored_before = _counters(port), _entries_added(client)
            result = load(port, block, seconds)
            time.sleep(0.5)  # requests wrk left in flight when its time was up still complete
            after, stored_after = _counters(port), _entries_added(client)
        finally:
            client.close()
        result["stored_in_redis"] = stored_after - stored_before
        result["duplicates"] = int(after["duplicate"] - before["duplicate"])
        result["received"] = int(after["received"] - before["received"])
        result["redis"] = redis_persistence(redis_url)
        _verify(result)
        return result

    return run


def _verify(result: dict[str, Any]) -> None:
    """Accepted means stored: no duplicates, Redis gained what the webhook counted, nothing less."""
    in_flight = result["received"] - result["accepted"]
    if (
        result["duplicates"]
        or result["stored_in_redis"] != result["received"]
        or not (0 <= in_flight <= CONCURRENCY)
    ):
        raise RuntimeError(f"ingress run is not honest: {json.dumps(result)}")


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _with_cpu(run: Run, pids: dict[str, int]) -> Run:
    """``run``, also reporting the CPU microseconds each named process spent per accepted update.

    On a machine shared with other work the rates follow whatever share of the cores each side gets;
    CPU per update barely does, so it says more about how much work each side does per update.
    """

    def measured(block: int, seconds: int) -> dict[str, Any]:
        before = {name: _cpu_seconds(pid) for name, pid in pids.items()}
        result = run(block, seconds)
        accepted = max(1, result["accepted"])
        for name, pid in pids.items():
            result[f"cpu_us_per_update_{name}"] = (_cpu_seconds(pid) - before[name]) * 1e6 / accepted
        result["cpu_us_per_update"] = sum(result[f"cpu_us_per_update_{name}"] for name in pids)
        return result

    return measured


def _webhook_env(port: int, redis_url: str, telegram_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "PORT": str(port),
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": PREFIX,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": telegram_url,
        "WEBHOOK_SECRET_TOKEN": SECRET,
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
        "LOG_LEVEL": "WARNING",
    }


def _alternate(ours: Run, ptb: Run) -> list[dict[str, Any]]:
    """Warm both up, then ``ROUNDS`` rounds of one run each, the order flipping every round."""
    blocks = iter(range(1, 1000))
    ours(next(blocks), WARMUP_S)
    ptb(next(blocks), WARMUP_S)
    rounds = []
    for number in range(ROUNDS):
        order = [("ours", ours), ("ptb_run_webhook", ptb)]
        runs = {name: side(next(blocks), DURATION_S) for name, side in order[:: 1 - 2 * (number % 2)]}
        runs["throughput_ratio"] = runs["ours"]["updates_per_s"] / runs["ptb_run_webhook"]["updates_per_s"]
        runs["p99_ratio"] = runs["ours"]["p99_ms"] / runs["ptb_run_webhook"]["p99_ms"]
        runs["cpu_ratio"] = runs["ours"]["cpu_us_per_update"] / runs["ptb_run_webhook"]["cpu_us_per_update"]
        rounds.append(runs)
    return rounds


def run() -> dict[str, Any]:
    """Measure both receivers, alternating, and write the results file."""
    telegram_port, ours_port, ptb_port = free_port(), free_port(), free_port()
    telegram_url = f"http://127.0.0.1:{telegram_port}"
    emulator = [sys.executable, "-m", "emulators.telegram", "--port", str(telegram_port), "--token", TOKEN]
    ptb_args = [sys.executable, "-m", "bench.ptb_webhook", str(ptb_port), SECRET, telegram_url, TOKEN]
    started = machine()
    with ExitStack() as stack:
        persistence = {"appendonly": "yes", "appendfsync": APPENDFSYNC}
        redis_url = stack.enter_context(private_redis(persistence))
        stack.enter_context(serving(emulator, telegram_port, dict(os.environ)))
        webhook_env = _webhook_env(ours_port, redis_url, telegram_url)
        webhook = stack.enter_context(
            serving([sys.executable, "-m", "services.webhook"], ours_port, webhook_env)
        )
        ptb = stack.enter_context(serving(ptb_args, ptb_port, dict(os.environ)))
        redis_pid = int(redis.Redis.from_url(redis_url).info("server")["process_id"])
        ours_run = _with_cpu(_checked_run(ours_port, redis_url), {"webhook": webhook.pid, "redis": redis_pid})
        ptb_run = _with_cpu(lambda b, s: load(ptb_port, b, s), {"ptb": ptb.pid})
        rounds = _alternate(ours_run, ptb_run)
        persistence = redis_persistence(redis_url)
    summary = _summarise(rounds, persistence, started)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def _summarise(
    rounds: list[dict[str, Any]], persistence: dict[str, str], host: dict[str, Any]
) -> dict[str, Any]:
    def of(side: str, key: str) -> dict[str, float]:
        return spread([r[side][key] for r in rounds])

    return {
        "benchmark": "ingress",
        "machine": host,
        "duration_s": DURATION_S,
        "concurrency": CONCURRENCY,
        "rounds": len(rounds),
        "redis": persistence,
        "ours_updates_per_s": of("ours", "updates_per_s"),
        "ours_p50_ms": of("ours", "p50_ms"),
        "ours_p99_ms": of("ours", "p99_ms"),
        "ptb_updates_per_s": of("ptb_run_webhook", "updates_per_s"),
        "ptb_p50_ms": of("ptb_run_webhook", "p50_ms"),
        "ptb_p99_ms": of("ptb_run_webhook", "p99_ms"),
        "throughput_ratio": spread([r["throughput_ratio"] for r in rounds]),
        "p99_ratio": spread([r["p99_ratio"] for r in rounds]),
        "ours_cpu_us_per_update": of("ours", "cpu_us_per_update"),
        "ours_webhook_cpu_us_per_update": of("ours", "cpu_us_per_update_webhook"),
        "ours_redis_cpu_us_per_update": of("ours", "cpu_us_per_update_redis"),
        "ptb_cpu_us_per_update": of("ptb_run_webhook", "cpu_us_per_update"),
        "cpu_ratio": spread([r["cpu_ratio"] for r in rounds]),
        "runs": rounds,
    }


def _range(figure: dict[str, float], fmt: str = ",.0f", unit: str = "") -> str:
    return f"{figure['median']:{fmt}}{unit} ({figure['min']:{fmt}}–{figure['max']:{fmt}})"


def rows(summary: dict[str, Any]) -> list[str]:
    """The README's rows for this benchmark: median (range) of the alternating rounds."""
    fsync = f"appendfsync {summary['redis']['appendfsync']}"
    rounds = f"{summary['rounds']}×{summary['duration_s']} s"
    shape = f"{summary['concurrency']} connections, wrk, {rounds} alternating"
    return [
        f"| webhook ingress, updates/s, {shape} (`ingress`) | {_range(summary['ours_updates_per_s'])},"
        f" each in Redis ({fsync}) before the 200 | PTB `run_webhook`, in-memory queue:"
        f" {_range(summary['ptb_updates_per_s'])} | **{_range(summary['throughput_ratio'], '.2f', '×')}** |",
        f"| webhook ingress, p99 latency ms (`ingress`) | {_range(summary['ours_p99_ms'], '.2f')}"
        f" (p50 {summary['ours_p50_ms']['median']:.2f}) | {_range(summary['ptb_p99_ms'], '.2f')}"
        f" (p50 {summary['ptb_p50_ms']['median']:.2f}) | **{_range(summary['p99_ratio'], '.2f', '×')}** |",
        f"| webhook ingress, CPU µs per update (`ingress`) | {_range(summary['ours_cpu_us_per_update'])}"
        f" (webhook {summary['ours_webhook_cpu_us_per_update']['median']:.0f}, Redis"
        f" {summary['ours_redis_cpu_us_per_update']['median']:.0f}) | PTB `run_webhook`:"
        f" {_range(summary['ptb_cpu_us_per_update'])} | {_range(summary['cpu_ratio'], '.2f', '×')} |",
    ]


def table(summary: dict[str, Any]) -> str:
    lines = ["| round | ours updates/s | ours p99 ms | PTB updates/s | PTB p99 ms | ratio | p99 ratio |"]
    lines.append("|---|---|---|---|---|---|---|")
    for number, r in enumerate(summary["runs"], 1):
        ours, ptb = r["ours"], r["ptb_run_webhook"]
        lines.append(
            f"| {number} | {ours['updates_per_s']:.0f} | {ours['p99_ms']:.2f} | {ptb['updates_per_s']:.0f}"
            f" | {ptb['p99_ms']:.2f} | {r['throughput_ratio']:.2f}x | {r['p99_ratio']:.2f}x |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(table(run()) + "\n")
