"""The catalogue warmup's lifecycle. It holds its Redis client until the stop event."""

from __future__ import annotations

import structlog

from shared.heartbeat import ProcessState
from shared.process import Program, Runtime

__all__ = ["PROGRAM"]

log = structlog.get_logger()


async def serve(runtime: Runtime) -> None:
    runtime.set_state(ProcessState.RUNNING)
    log.info("warmup_ready")
    await runtime.stop.wait()


PROGRAM = Program(name="warmup", serve=serve, needs_db=False)
