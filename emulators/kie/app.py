"""Building and running the emulator's aiohttp application (one app, on one or two ports)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import structlog
from aiohttp import web

from .api import register_api_routes
from .callbacks import CallbackSender
from .control import ControlApi
from .exchange import STATE_KEY
from .family_routes import register_family_routes
from .state import KieState
from .upload import HTTP_KEY, register_upload_routes

__all__ = ["RunningEmulator", "create_app", "run_emulator"]

log = structlog.get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
TICK_KEY = web.AppKey("kie_emulator_tick_seconds", float)
SENDER_KEY = web.AppKey("kie_emulator_sender", CallbackSender)


def create_app(state: KieState, *, tick_seconds: float = 0.05) -> web.Application:
    """The emulator as an aiohttp application serving `state`.

    While it runs, a ticker moves tasks along the clock every `tick_seconds`, and final tasks'
    callbacks are delivered.
    """
    app = web.Application(client_max_size=128 * 1024 * 1024, middlewares=[_kie_routing_errors])
    app[STATE_KEY] = state
    app[TICK_KEY] = tick_seconds
    register_api_routes(app)
    register_family_routes(app)
    register_upload_routes(app)
    ControlApi(state).register(app)
    app.cleanup_ctx.append(_http_session)
    app.cleanup_ctx.append(_callback_sender)
    app.cleanup_ctx.append(_ticker)
    return app


_ROUTING_ERRORS = {
    404: "Not Found - the requested resource or endpoint does not exist",
    405: "Method Not Allowed",
}


@web.middleware
async def _kie_routing_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Unknown routes and wrong methods answer KIE's JSON envelope, not aiohttp's plain text.

    KIE lists 404 ("the requested resource or endpoint does not exist") among every endpoint's codes
    and 405 among the upload host's; the HTTP status carries the same code (kie-api.md §1.3, §6).
    """
    try:
        return await handler(request)
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed) as exc:
        if request.path.startswith("/_emulator/"):
            raise
        body = {"code": exc.status, "msg": _ROUTING_ERRORS[exc.status], "data": None}
        return web.json_response(body, status=exc.status)


async def _http_session(app: web.Application) -> AsyncIterator[None]:
    """One HTTP client for callbacks and URL uploads."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        app[HTTP_KEY] = session
        yield


async def _callback_sender(app: web.Application) -> AsyncIterator[None]:
    """Attach a callback sender to the state for the app's lifetime."""
    state = app[STATE_KEY]
    sender = CallbackSender(
        app[HTTP_KEY],
        state.config.callbacks,
        state.clock,
        state.record_callback,
        hmac_key=state.config.hmac_key,
    )
    app[SENDER_KEY] = sender
    state.attach_sender(sender)
    try:
        yield
    finally:
        state.attach_sender(None)
        await sender.stop()


async def _ticker(app: web.Application) -> AsyncIterator[None]:
    """Move tasks along the clock in the background."""
    state, interval = app[STATE_KEY], app[TICK_KEY]

    async def run() -> None:
        while True:
            try:
                state.tick()
            except Exception:
                log.exception("kie_emulator_tick_failed")
            await asyncio.sleep(interval)

    task = asyncio.get_running_loop().create_task(run(), name="kie-emulator:ticker")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@dataclass(frozen=True)
class RunningEmulator:
    """A started emulator: its API and upload base URLs, its state and its app."""

    url: str
    upload_url: str
    state: KieState
    app: web.Application

    async def drain_callbacks(self, seconds: float = 10.0) -> bool:
        """Wait until no callback delivery is in flight; False on timeout."""
        return await self.app[SENDER_KEY].drain(seconds)


@asynccontextmanager
async def run_emulator(
    state: KieState,
    *,
    port: int,
    host: str = "127.0.0.1",
    upload_port: int | None = None,
    tick_seconds: float = 0.05,
) -> AsyncIterator[RunningEmulator]:
    """Serve the emulator on host:port (and host:upload_port when different) for the block."""
    url = f"http://{host}:{port}"
    upload_url = f"http://{host}:{upload_port}" if upload_port not in (None, port) else url
    state.bind(url, upload_url)
    app = create_app(state, tick_seconds=tick_seconds)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        if upload_url != url:
            await web.TCPSite(runner, host, upload_port).start()
        yield RunningEmulator(url=url, upload_url=upload_url, state=state, app=app)
    finally:
        await runner.cleanup()
