"""A TRT system in sandbox mode under the real supervisord, for the web chat's end-to-end tests.

The environment comes from the real ``scripts/sandbox-env.sh`` (sourced by bash), so the tests check
the same variables ``make run`` exports. The system's home holds ``supervisor.sandbox.conf`` under the
name ``supervisor.conf`` (including the real ``supervisor.conf`` as ``trt.conf``), so the shared
harness in ``tests/e2e/system.py`` starts and stops it unchanged.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from contextlib import ExitStack
from pathlib import Path

from tests.e2e.system import ROOT

SANDBOX_ENV_SCRIPT = ROOT / "scripts" / "sandbox-env.sh"


def free_port_run(count: int, attempts: int = 50) -> int:
    """A port p such that p .. p+count-1 are all free on 127.0.0.1 right now."""
    for _ in range(attempts):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = int(probe.getsockname()[1])
        if first + count > 65535:
            continue
        try:
            with ExitStack() as stack:
                for port in range(first, first + count):
                    sock = stack.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
    raise RuntimeError(f"no run of {count} free ports found")


def sandbox_variables(
    chat_port: int, webhook_port: int, database_url: str, key_prefix: str
) -> dict[str, str]:
    """What scripts/sandbox-env.sh exports for these ports, this database and this key prefix."""
    script = f'set -a; . "{SANDBOX_ENV_SCRIPT}"; set +a; env -0'
    env = {
        "PATH": "/usr/bin:/bin",
        "SANDBOX_PORT": str(chat_port),
        "PORT": str(webhook_port),
        "SANDBOX_DATABASE_URL": database_url,
        "SANDBOX_REDIS_KEY_PREFIX": key_prefix,
    }
    out = subprocess.run(["bash", "-c", script], env=env, capture_output=True, check=True).stdout
    pairs = (item.split("=", 1) for item in out.decode().split("\0") if "=" in item)
    return {key: value for key, value in pairs if key not in ("PATH", "PWD", "SHLVL", "_")}


def prepare_sandbox_home(base: Path) -> Path:
    """A home whose supervisor.conf is the sandbox config including the real one."""
    home = base / "trt-home"
    (home / "var" / "log").mkdir(parents=True)
    shutil.copy(ROOT / "supervisor.conf", home / "trt.conf")
    text = (ROOT / "supervisor.sandbox.conf").read_text()
    (home / "supervisor.conf").write_text(text.replace("files = supervisor.conf", "files = trt.conf"))
    return home
