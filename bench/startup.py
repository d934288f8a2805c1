"""Startup benchmark: from ``supervisord`` start to every program RUNNING and ``/health`` listing them.

Runs the real supervisor.conf (copied into a temporary home) against the Bot API emulator, a private
PostgreSQL database and Redis key prefix, then records each program's resident memory and the time a
clean SIGTERM stop takes. The seed system reported a ~5 s startup (its status document); it cannot be
run here, so that figure is quoted, not measured. Writes ``bench/results/startup.json``.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import xmlrpc.client
from pathlib import Path
from typing import Any

import psutil
from supervisor.xmlrpc import SupervisorTransport

from bench._support import free_port, private_database, private_prefix, serving, venv_path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "startup.json"
SEED_REPORTED_STARTUP_S = 5.0
TOKEN = "123456:bench-token"


def _process_infos(home: Path) -> list[dict[str, Any]]:
    """supervisord's process list, over a fresh connection (a failed one cannot be reused)."""
    transport = SupervisorTransport(None, None, f"unix://{home / 'var' / 'supervisor.sock'}")
    rpc = xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)
    try:
        infos: list[dict[str, Any]] = rpc.supervisor.getAllProcessInfo()  # type: ignore[assignment]
        return infos
    finally:
        rpc("close")()


def _all_up(home: Path, port: int) -> bool:
    try:
        infos = _process_infos(home)
        if not infos or any(info["statename"] != "RUNNING" for info in infos):
            return False
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
            health = json.load(response)
    except (OSError, xmlrpc.client.Error, http.client.HTTPException):
        return False
    workers = [i for i in infos if i["name"] != "crashguard"]
    return len(health["programs"]) >= len(workers)


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
        up = False
        while not up and time.monotonic() - started < 120:
            up = _all_up(home, port)
            time.sleep(0.05)
        if not up:
            raise RuntimeError("the system did not come up within 120 s")
        ready_s = time.monotonic() - started
        time.sleep(2.0)  # let every program finish its start-up work before reading memory
        rss = {
            (i["name"] if i["group"] == i["name"] else f"{i['group']}:{i['name']}"): round(
                psutil.Process(i["pid"]).memory_info().rss / 2**20, 1
            )
            for i in _process_infos(home)
            if i["pid"] > 0
        }
    finally:
        stopping = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(60)
        stop_s = time.monotonic() - stopping
    return {"startup_s": round(ready_s, 2), "stop_s": round(stop_s, 2), "rss_mib": rss}


def run() -> dict[str, Any]:
    """Start and stop the whole system once, measuring both and each program's memory."""
    telegram_port, port = free_port(), free_port()
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
                "WEBHOOK_SECRET_TOKEN": "bench-secret",
                "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
                "BOT_WORKERS": "2",
                "KIE_API_KEY": "bench-kie-key",
                "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            }
            subprocess.run(
                [sys.executable, "-m", "shared.migrations"], env=env, check=True, capture_output=True
            )
            emulator = [
                sys.executable,
                "-m",
                "emulators.telegram",
                "--port",
                str(telegram_port),
                "--token",
                TOKEN,
            ]
            with serving(emulator, telegram_port, dict(os.environ)):
                result = _measure(home, env, port)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    result["seed_reported_startup_s"] = SEED_REPORTED_STARTUP_S
    result["startup_ratio_vs_seed"] = round(result["startup_s"] / SEED_REPORTED_STARTUP_S, 2)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return result


def table(summary: dict[str, Any]) -> str:
    lines = [
        "| measure | TRT | seed (reported) |",
        "|---|---|---|",
        "| start to all RUNNING + /health | {startup_s} s | {seed_reported_startup_s} s |".format(**summary),
        f"| clean stop (SIGTERM) | {summary['stop_s']} s | - |",
    ]
    lines += [f"| RSS {name} | {mib} MiB | - |" for name, mib in sorted(summary["rss_mib"].items())]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(table(run()) + "\n")
