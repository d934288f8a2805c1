"""`make run` on a clean clone with no environment: scripts/run.sh brings up the sandbox and the web
chat answers, and the bot replies to /start in it.

The clone is a copy of the repository's files (tracked and new, nothing git ignores: no .env, no
var/, no .venv) in a temporary directory. The environment holds only PATH, HOME and what keeps this
run apart from others on the machine (its database, Redis key prefix and ports); no Telegram, KIE,
webhook or admin variable is set.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import psycopg
import pytest

from tests.conftest import PG_ADMIN_DSN, free_port
from tests.e2e.sandbox import free_port_run
from tests.e2e.system import ROOT, wait_until

pytestmark = pytest.mark.e2e

VENV_BIN = Path(sys.executable).parent
ADA = 100001


@dataclass
class RunningSandbox:
    """scripts/run.sh started in a clean copy."""

    home: Path
    process: subprocess.Popen[bytes]
    chat_url: str
    output: Path

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.chat_url}{path}", timeout=5) as response:
            body = response.read()
        return json.loads(body) if path.startswith("/api/") else body.decode()

    def post(self, path: str, data: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            f"{self.chat_url}{path}", json.dumps(data).encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)


def clean_copy(target: Path) -> Path:
    """The repository's files as a fresh clone would have them (plus files not yet committed)."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listing.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def _processes_in(home: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cwd"]):
        try:
            if process.info["cwd"] and Path(process.info["cwd"]).is_relative_to(home):
                found.append(process)
        except (psutil.Error, ValueError):
            continue
    return found


def _stop(sandbox: RunningSandbox) -> list[str]:
    """SIGTERM supervisord (run.sh exec'd into it), wait; kill and name anything left over."""
    if sandbox.process.poll() is None:
        sandbox.process.send_signal(signal.SIGTERM)
        try:
            sandbox.process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(sandbox.process.pid, signal.SIGKILL)
            sandbox.process.wait(10)
    leftovers = _processes_in(sandbox.home)
    for process in leftovers:
        process.kill()
    return [" ".join(p.info.get("cmdline") or [str(p.pid)]) for p in leftovers]


@pytest.fixture(name="sandbox_run")
def _sandbox_run(tmp_path: Path, key_prefix: str) -> Iterator[RunningSandbox]:
    home = clean_copy(tmp_path / "clone")
    chat_port, webhook_port = free_port_run(3), free_port()
    # A database that does not exist yet: run.sh creates and claims it for the sandbox.
    name = f"trt_test_sandbox_{uuid.uuid4().hex[:8]}"
    database_url = PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + name
    env = {
        "PATH": f"{VENV_BIN}{os.pathsep}/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SANDBOX_DATABASE_URL": database_url,
        "SANDBOX_REDIS_KEY_PREFIX": key_prefix,
        "SANDBOX_PORT": str(chat_port),
        "PORT": str(webhook_port),
    }
    output = tmp_path / "run.out"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [str(home / "scripts" / "run.sh")],
            cwd=home,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    sandbox = RunningSandbox(home, process, f"http://127.0.0.1:{chat_port}", output)
    try:
        yield sandbox
    finally:
        leftovers = _stop(sandbox)
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        assert leftovers == [], f"processes left running: {leftovers}"


def _bot_replied(sandbox: RunningSandbox) -> bool:
    messages = sandbox.get(f"/api/chats/{ADA}")["messages"]
    return any(m["from_bot"] and m["inline_keyboard"] for m in messages)


def _webhook_healthy(sandbox: RunningSandbox) -> bool:
    programs = sandbox.get(f"/api/status/{ADA}")["health"].get("programs", {})
    return "webhook" in programs and "sandbox" in programs


class TestMakeRunOnACleanClone:
    def test_no_environment_brings_up_the_sandbox_and_its_web_chat(self, sandbox_run: RunningSandbox) -> None:
        """run.sh prints the chat's address, the page answers, and /start gets the bot's menu."""
        page = wait_until(lambda: sandbox_run.get("/"), 90, "the web chat page")
        assert "TRT sandbox" in page
        output = sandbox_run.output.read_text()
        assert f"chat with the bot at {sandbox_run.chat_url}" in output
        users = sandbox_run.get("/api/config")["users"]
        assert [u["id"] for u in users if u["admin"]] == [ADA]
        wait_until(lambda: _webhook_healthy(sandbox_run), 60, "the webhook's /health in the side panel")
        sandbox_run.post("/api/send", {"user_id": ADA, "text": "/start"})
        wait_until(lambda: _bot_replied(sandbox_run), 60, "the bot's menu after /start")
        assert sandbox_run.process.poll() is None, sandbox_run.output.read_text()
