"""Building and running the emulator's aiohttp application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from .api import HTTP_KEY, STATE_KEY, default_routes
from .state import BotApiState

__all__ = ["RunningEmulator", "create_app", "run_emulator"]


def create_app(state: BotApiState) -> web.Application:
    """The emulator as an aiohttp application serving `state`."""
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[STATE_KEY] = state
    default_routes().register(app)
    app.cleanup_ctx.append(_http_session)
    return app


async def _http_session(app: web.Application) -> AsyncIterator[None]:
    """An HTTP client for fetching files sent by URL (and delivering webhooks)."""
    async with aiohttp.ClientSession() as session:
        app[HTTP_KEY] = session
        yield


@dataclass(frozen=True)
class RunningEmulator:
    """A started emulator: where it listens and the state it serves."""

    url: str
    state: BotApiState
    app: web.Application

    def bot_url(self, token: str | None = None) -> str:
        """The method base for a bot, `{url}/bot{token}`."""
        return f"{self.url}/bot{self.state.bot(token).token}"


@asynccontextmanager
async def run_emulator(
    state: BotApiState, *, port: int, host: str = "127.0.0.1"
) -> AsyncIterator[RunningEmulator]:
    """Serve the emulator on host:port for the duration of the block."""
    app = create_app(state)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        yield RunningEmulator(url=f"http://{host}:{port}", state=state, app=app)
    finally:
        await runner.cleanup()
