"""A whole TRT system under the real supervisord, for end-to-end tests.

Each system gets its own directory (a verbatim copy of supervisor.conf, so runtime files land in its
own var/), its own HTTP port, Redis key prefix and host id, and shares the run's PostgreSQL database.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import xmlrpc.client
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from supervisor.xmlrpc import SupervisorTransport
from xprocess import ProcessStarter

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
WEBHOOK_SECRET = "e2e-webhook-secret-0123456789abcdef"
HEALTH_TOKEN = "e2e-health-token-0123456789abcdef"
CLOSED_LOCAL_URL = "http://127.0.0.1:9"


def details_request(port: int) -> urllib.request.Request:
    """GET /health/details with the e2e systems' bearer token."""
    headers = {"Authorization": f"Bearer {HEALTH_TOKEN}"}
    return urllib.request.Request(f"http://127.0.0.1:{port}/health/details", headers=headers)


FORBIDDEN_LOG_TEXT = (
    "Event loop is closed",
    "was never retrieved",
    "was never awaited",
    "Task was destroyed but it is pending",
    "There is no current event loop",
    "Traceback (most recent call last)",
)


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = predicate()
            if result:
                return result
        except Exception as exc:  # a poll may race a restarting process; retry until the deadline
            last_error = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last error: {last_error!r})")


@dataclass
class System:
    """Handle on one running supervisord and its programs."""

    home: Path
    port: int
    env: dict[str, str]
    process: psutil.Process | None = None
    _rpc: Any = field(default=None, repr=False)

    @property
    def var(self) -> Path:
        return self.home / "var"

    @property
    def rpc(self) -> Any:
        if self._rpc is None:
            transport = SupervisorTransport(None, None, f"unix://{self.var / 'supervisor.sock'}")
            self._rpc = xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)
        return self._rpc

    def close(self) -> None:
        """Close the XML-RPC connection to supervisord's socket."""
        if self._rpc is not None:
            self._rpc("close")()
            self._rpc = None

    def processes(self) -> dict[str, dict[str, Any]]:
        """supervisorctl's view: ctl name → process info."""
        infos = self.rpc.supervisor.getAllProcessInfo()
        return {_ctl_name(info): info for info in infos}

    def all_running(self) -> bool:
        infos = self.processes().values()
        return bool(infos) and all(info["statename"] == "RUNNING" for info in infos)

    def heartbeats_running(self) -> bool:
        """Every supervised process reports a `running` heartbeat from its current pid in /health."""
        entries = self.health()["programs"]
        return all(
            entries.get(name, {}).get("state") == "running" and entries[name].get("pid") == info["pid"]
            for name, info in self.processes().items()
        )

    def wait_ready(self, timeout: float = 180) -> None:
        """Wait until every program says it is running (RUNNING in supervisord comes much earlier on a
        loaded machine: a first message sent then waits behind the programs' own startup)."""
        wait_until(self.heartbeats_running, timeout, "a running heartbeat from every program", interval=0.5)

    def health(self) -> dict[str, Any]:
        """/health/details (processes with pids, and the leader), read with the system's HEALTH_TOKEN."""
        with urllib.request.urlopen(details_request(self.port), timeout=5) as response:
            assert response.status == 200
            return dict(json.load(response))

    def ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(VENV_BIN / "supervisorctl"), "-c", str(self.home / "supervisor.conf"), *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=60,
        )

    def logs(self) -> dict[str, str]:
        return {path.name: path.read_text(errors="replace") for path in (self.var / "log").glob("*.log")}

    def shutdown(self, timeout: float = 60) -> int:
        """SIGTERM supervisord and wait for it; returns its exit status."""
        assert self.process is not None
        try:
            self.process.send_signal(signal.SIGTERM)
            return int(self.process.wait(timeout) or 0)
        except psutil.NoSuchProcess:
            return 0


def prepare_home(base: Path) -> Path:
    home = base / "trt-home"
    (home / "var" / "log").mkdir(parents=True)
    shutil.copy(ROOT / "supervisor.conf", home / "supervisor.conf")
    return home


def system_env(**overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TRT_", "SUPERVISOR_"))}
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        PYTHONUNBUFFERED="1",
        LOG_FORMAT="json",
        HEARTBEAT_INTERVAL_SECONDS="0.5",
        LEASE_TTL_SECONDS="3",
        BOT_WORKERS="2",
        WEBHOOK_SECRET_TOKEN=WEBHOOK_SECRET,
        HEALTH_TOKEN=HEALTH_TOKEN,
        TELEGRAM_RATE_PER_SECOND="1000",
        TELEGRAM_RATE_PER_CHAT_SECOND="100",
        INBOX_CLAIM_IDLE_SECONDS="3",
        # The KIE emulator charges stand-in amounts for models whose KIE price it has no page for; the
        # cost watch would (rightly) raise prices to them mid-test. It is tested on its own.
        CATALOG_COST_WATCH_SECONDS="0",
        # `jobs` refuses to start without a KIE key; tests that run jobs point it at the KIE emulator.
        KIE_API_KEY="kie-emulator-key",
        # Nothing leaves this machine: until a test names an emulator, the real APIs' places are a
        # closed local port (the discard port), so a forgotten setting fails here instead of calling out.
        KIE_API_BASE_URL=CLOSED_LOCAL_URL,
        KIE_UPLOAD_BASE_URL=CLOSED_LOCAL_URL,
        TELEGRAM_API_BASE_URL=CLOSED_LOCAL_URL,
        # Tests state prices as the registry's KIE prices; money tests set their own markup.
        PRICE_MARKUP="1",
    )
    env.update(overrides)
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "shared.migrations"], env=env, check=True, capture_output=True)


def start(
    xprocess: Any,
    home: Path,
    port: int,
    env: dict[str, str],
    ready: Callable[[System], bool] = System.all_running,
    prefix: Sequence[str] = (),
) -> Generator[System]:
    """Run ``supervisord -n -c supervisor.conf`` under pytest-xprocess until the generator closes.

    ``prefix`` runs it through another command first (e.g. ``ip netns exec NAME``, which execs it).

    Startup is confirmed over XML-RPC (``ready``: by default every program RUNNING); teardown SIGTERMs
    supervisord and waits, and only then lets xprocess kill whatever is left of the process tree.
    """
    system = System(home=home, port=port, env=env)

    class Starter(ProcessStarter):  # type: ignore[misc]
        args = [*prefix, str(VENV_BIN / "supervisord"), "-n", "-c", str(home / "supervisor.conf")]
        popen_kwargs = {"cwd": str(home)}
        timeout = 90
        terminate_on_interrupt = True

        def __init__(self, control_dir: Any, process: Any) -> None:
            super().__init__(control_dir, process)
            self.env = env

        def startup_check(self) -> bool:
            try:
                return ready(system)
            except (OSError, http.client.HTTPException):
                # A call that failed mid-request (socket not there yet) poisons the cached connection:
                # close it (an unclosed socket is a ResourceWarning, an error under pytest) and retry.
                if system._rpc is not None:
                    system._rpc("close")()
                system._rpc = None
                return False

    name = f"supervisord-{home.parent.name}"
    pid, _ = xprocess.ensure(name, Starter, restart=True)
    system.process = psutil.Process(pid)
    try:
        yield system
    finally:
        system.shutdown()
        system.close()
        xprocess.getinfo(name).terminate()


def _ctl_name(info: dict[str, Any]) -> str:
    return str(info["name"] if info["group"] == info["name"] else f"{info['group']}:{info['name']}")
