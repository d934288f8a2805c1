"""Startup benchmark: from ``supervisord`` start to every program serving, and to supervisord's RUNNING.

Two moments per start: *serving*, when ``/health`` shows every program's own heartbeat in state
``running`` (each program sets it once it does its work: the webhook listens, the workers read the
inbox); and *RUNNING*, when supervisord also counts every program started, which it does only
``startsecs`` (2 s in supervisor.conf) after spawning it, so that figure cannot go below 2 s.

Runs the real supervisor.conf (copied into a temporary home) against the Bot API and KIE emulators, a private
PostgreSQL database and Redis key prefix, ``BENCH_STARTUP_RUNS`` times (median and range), and records
each program's memory after start from ``/proc/PID/smaps_rollup``: RSS, and PSS (its share of pages
shared with other processes, so the PSS of all programs adds up to what the system really uses), and
the time a clean SIGTERM stop takes. The seed system reported a ~5 s startup (its status document); it
cannot be run here, so that figure is quoted, not measured. Writes ``bench/results/startup.json``.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import xmlrpc.client
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supervisor.xmlrpc import SupervisorTransport

from bench._support import free_port, machine, private_database, private_prefix, serving, spread, venv_path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "startup.json"
SEED_REPORTED_STARTUP_S = 5.0
TOKEN = "123456:bench-token"
KIE_KEY = "bench-kie-key"
RUNS = int(os.environ.get("BENCH_STARTUP_RUNS", "3"))


def memory_mib(pid: int) -> dict[str, float]:
    """RSS and PSS of a process in MiB, from the kernel's per-process summary of its mappings."""
    found = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("Rss", "Pss"):
            found[name.lower()] = round(int(rest.split()[0]) / 1024, 1)
    return found


def _process_infos(home: Path) -> list[dict[str, Any]]:
    """supervisord's process list, over a fresh connection (a failed one cannot be reused)."""
    transport = SupervisorTransport(None, None, f"unix://{home / 'var' / 'supervisor.sock'}")
    rpc = xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)
    try:
        infos: list[dict[str, Any]] = rpc.supervisor.getAllProcessInfo()  # type: ignore[assignment]
        return infos
    finally:
        rpc("close")()


@dataclass(frozen=True, slots=True)
class _Look:
    """One poll: supervisord's process states and /health's program states (empty when unreadable)."""

    supervised: tuple[str, ...]
    workers: int
    heartbeats: tuple[str, ...]

    @property
    def serving(self) -> bool:
        """Every program but the crash guard has a heartbeat, each one ``running``."""
        states = self.heartbeats
        return bool(self.supervised) and len(states) >= self.workers and all(s == "running" for s in states)

    @property
    def up(self) -> bool:
        """Every program RUNNING in supervisord and listed by ``/health``."""
        running = bool(self.supervised) and all(s == "RUNNING" for s in self.supervised)
        return running and len(self.heartbeats) >= self.workers


def _look(home: Path, port: int) -> _Look:
    """One XML-RPC call and one /health request (a faster poll would slow the start it measures)."""
    try:
        infos = _process_infos(home)
    except (OSError, xmlrpc.client.Error):
        return _Look((), 0, ())
    workers = sum(1 for info in infos if info["name"] != "crashguard")
    supervised = tuple(str(info["statename"]) for info in infos)
    try:
        heartbeats = tuple(str(p["state"]) for p in _health(port)["programs"].values())
    except (OSError, http.client.HTTPException, ValueError):
        heartbeats = ()
    return _Look(supervised, workers, heartbeats)


def all_up(home: Path, port: int) -> bool:
    """Every program RUNNING in supervisord and listed by ``/health`` (also the reply bench's start)."""
    return _look(home, port).up


def _health(port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
        answer: dict[str, Any] = json.load(response)
        return answer


def _measure(home: Path, env: dict[str, str], port: int) -> dict[str, Any]:
    started = time.monotonic()
    process = subprocess.Popen(
        [shutil.which("supervisord") or "supervisord", "-n", "-c", str(home / "supervisor.conf")],
        cwd=home,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        serving_s, ready_s = None, None
        while ready_s is None and time.monotonic() - started < 120:
            look = _look(home, port)
            if serving_s is None and look.serving:
                serving_s = time.monotonic() - started
            if look.up:
                ready_s = time.monotonic() - started
            time.sleep(0.05)
        if serving_s is None or ready_s is None:
            raise RuntimeError("the system did not come up within 120 s")
        time.sleep(2.0)  # let every program finish its start-up work before reading memory
        memory = {
            (i["name"] if i["group"] == i["name"] else f"{i['group']}:{i['name']}"): memory_mib(i["pid"])
            for i in _process_infos(home)
            if i["pid"] > 0
        }
    finally:
        stopping = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(60)
        stop_s = time.monotonic() - stopping
    return {
        "serving_s": round(serving_s, 2),
        "startup_s": round(ready_s, 2),
        "stop_s": round(stop_s, 2),
        "memory_mib": memory,
    }


def run() -> dict[str, Any]:
    """Start and stop the whole system ``RUNS`` times; summarise start, stop and memory."""
    host = machine()
    runs = [_one_run() for _ in range(RUNS)]
    memory = median_memory([r["memory_mib"] for r in runs])
    result: dict[str, Any] = {
        "benchmark": "startup",
        "machine": host,
        "runs": runs,
        "serving_s": spread([r["serving_s"] for r in runs]),
        "startup_s": spread([r["startup_s"] for r in runs]),
        "stop_s": spread([r["stop_s"] for r in runs]),
        "memory_mib": memory,
        "total_pss_mib": round(sum(m["pss"] for m in memory.values()), 1),
        "total_rss_mib": round(sum(m["rss"] for m in memory.values()), 1),
        "total_pss_mib_per_run": [round(sum(m["pss"] for m in r["memory_mib"].values()), 1) for r in runs],
        "loadavg_1m_at_end": round(os.getloadavg()[0], 2),
        "seed_reported_startup_s": SEED_REPORTED_STARTUP_S,
    }
    result["serving_ratio_vs_seed"] = round(result["serving_s"]["median"] / SEED_REPORTED_STARTUP_S, 2)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return result


def median_memory(runs: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    """Each program's median PSS and median RSS over the runs (a program missing from a run is skipped)."""
    programs = sorted({name for run in runs for name in run})
    return {
        name: {
            figure: round(statistics.median(run[name][figure] for run in runs if name in run), 1)
            for figure in ("rss", "pss")
        }
        for name in programs
    }


def _one_run() -> dict[str, Any]:
    """Start and stop the whole system once, measuring both and each program's memory."""
    telegram_port, kie_port, port = free_port(), free_port(), free_port()
    kie_url = f"http://127.0.0.1:{kie_port}"
    home = Path(tempfile.mkdtemp(prefix="trt-bench-"))
    try:
        with private_database() as database_url, private_prefix() as prefix:
            (home / "var" / "log").mkdir(parents=True)
            shutil.copy(ROOT / "supervisor.conf", home / "supervisor.conf")
            env = {
                **os.environ,
                "PATH": venv_path(),
                "DATABASE_URL": database_url,
                "REDIS_KEY_PREFIX": prefix,
                "PORT": str(port),
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{telegram_port}",
                "WEBHOOK_SECRET_TOKEN": "bench-secret-of-at-least-32-characters",
                "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
                "BOT_WORKERS": "2",
                "KIE_API_KEY": KIE_KEY,
                "KIE_API_BASE_URL": kie_url,
                "KIE_UPLOAD_BASE_URL": kie_url,
                "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            }
            subprocess.run(
                [sys.executable, "-m", "shared.migrations"], env=env, check=True, capture_output=True
            )
            telegram = [sys.executable, "-m", "emulators.telegram", "--port", str(telegram_port)]
            kie = [sys.executable, "-m", "emulators.kie", "--port", str(kie_port)]
            with (
                serving([*telegram, "--token", TOKEN], telegram_port, dict(os.environ)),
                serving([*kie, "--api-key", f"{KIE_KEY}=1000"], kie_port, dict(os.environ)),
            ):
                result = _measure(home, env, port)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return result


def _range(figure: dict[str, float]) -> str:
    return f"{figure['median']:.2f} s ({figure['min']:.2f}–{figure['max']:.2f})"


def _memory(summary: dict[str, Any]) -> str:
    programs = sorted(summary["memory_mib"].items())
    each = ", ".join(f"{name} {m['pss']:.0f}/{m['rss']:.0f}" for name, m in programs)
    return f"{summary['total_pss_mib']:.0f} MiB PSS in all ({each}; PSS/RSS MiB)"


def rows(summary: dict[str, Any]) -> list[str]:
    """The README's rows: start, stop and each program's memory as the median of the runs."""
    runs = len(summary["runs"])
    return [
        f"| start to every program serving (its heartbeat `running` on `/health`), median of {runs}"
        f" (`startup`) | {_range(summary['serving_s'])}"
        f" | seed: ~{summary['seed_reported_startup_s']:.0f} s (reported)"
        f" | {summary['serving_ratio_vs_seed']:.2f}× |",
        f"| start to every program RUNNING in supervisord too (`startsecs=2` is its floor) (`startup`)"
        f" | {_range(summary['startup_s'])} | — | — |",
        f"| clean stop, SIGTERM to supervisord (`startup`) | {_range(summary['stop_s'])} | — | — |",
        f"| memory per program after start, `/proc/PID/smaps_rollup`, median of {runs} (`startup`)"
        f" | {_memory(summary)} | — | — |",
    ]


def table(summary: dict[str, Any]) -> str:
    lines = ["| run | serving s | RUNNING s | stop s |", "|---|---|---|---|"]
    lines += [
        f"| {n} | {r['serving_s']} | {r['startup_s']} | {r['stop_s']} |"
        for n, r in enumerate(summary["runs"], 1)
    ]
    lines += ["", "| program | PSS MiB | RSS MiB |", "|---|---|---|"]
    lines += [f"| {name} | {m['pss']} | {m['rss']} |" for name, m in sorted(summary["memory_mib"].items())]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(table(run()) + "\n")
