"""The webhook program: an aiohttp server on ``PORT`` that runs until the stop event."""

from __future__ import annotations

import structlog
from aiohttp import web

from services.webhook.health import RUNTIME, health
from shared.heartbeat import ProcessState
from shared.process import Program, Runtime

__all__ = ["PROGRAM", "build_app"]

log = structlog.get_logger()

MAX_BODY_BYTES = 1024 * 1024


def build_app(runtime: Runtime) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[RUNTIME] = runtime
    app.router.add_get("/health", health)
    return app


async def serve(runtime: Runtime) -> None:
    """Listen on BIND_HOST:PORT until stopped; on stop, refuse new requests and finish in-flight ones."""
    runner = web.AppRunner(build_app(runtime), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(
            runner, host=runtime.settings.BIND_HOST, port=runtime.settings.PORT, shutdown_timeout=5.0
        )
        await site.start()
        runtime.set_state(ProcessState.RUNNING)
        log.info("webhook_listening", port=runtime.settings.PORT)
        await runtime.stop.wait()
    finally:
        await runner.cleanup()


PROGRAM = Program(name="webhook", serve=serve, needs_db=False)
