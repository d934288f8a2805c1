"""The project's emulators as processes of their own, under pytest-xprocess."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from xprocess import ProcessStarter

from tests.conftest import free_port


def emulator_process(xprocess: Any, kind: str, options: list[str], host: str = "127.0.0.1") -> Iterator[str]:
    """Run ``python -m emulators.<kind> --host H --port N <options>`` until the generator closes; yield
    its URL."""
    port = free_port()

    class Starter(ProcessStarter):  # type: ignore[misc]
        args = [sys.executable, "-m", f"emulators.{kind}", "--host", host, "--port", str(port), *options]
        pattern = f"{kind} emulator listening"
        timeout = 30
        terminate_on_interrupt = True

    name = f"{kind}-emulator-{port}"
    xprocess.ensure(name, Starter, restart=True)
    try:
        yield f"http://{host}:{port}"
    finally:
        xprocess.getinfo(name).terminate()


def kie_system_env(port: int, kie_url: str, kie_key: str) -> dict[str, str]:
    """Settings of a system on ``port`` whose jobs run against the KIE emulator, with quick job timings."""
    return {
        "PORT": str(port),
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "KIE_API_KEY": kie_key,
        "KIE_API_BASE_URL": kie_url,
        "KIE_UPLOAD_BASE_URL": kie_url,
        "JOBS_CALLBACK_GRACE_SECONDS": "1",
        "JOBS_OUTBOX_POLL_SECONDS": "0.2",
    }
