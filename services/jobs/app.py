"""The job tracker's lifecycle. It holds its database pool and Redis client until the stop event."""

from __future__ import annotations

import structlog

from shared.heartbeat import ProcessState
from shared.process import Program, Runtime
from shared.settings import Settings

__all__ = ["PROGRAM"]

log = structlog.get_logger()


def check(settings: Settings) -> None:
    settings.require_telegram()


async def serve(runtime: Runtime) -> None:
    runtime.set_state(ProcessState.RUNNING)
    log.info("jobs_ready")
    await runtime.stop.wait()


PROGRAM = Program(name="jobs", serve=serve, check=check)
