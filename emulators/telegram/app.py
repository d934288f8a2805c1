"""Building and running the emulator's aiohttp application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from .api import HTTP_KEY, STATE_KEY, default_routes
from .control import ControlApi
from .delivery import DeliveryPolicy, WebhookDispatcher
from .state import BotApiState

__all__ = ["POLICY_KEY", "RunningEmulator", "create_app", "run_emulator"]

POLICY_KEY = web.AppKey("telegram_emulator_delivery", DeliveryPolicy)


def create_app(state: BotApiState, *, delivery: DeliveryPolicy | None = None) -> web.Application:
    """The emulator as an aiohttp application serving `state`.

    While the app runs, each bot's pending updates are delivered to its webhook (when one is set)
    with `delivery`'s retry timing.
    """
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[STATE_KEY] = state
    app[POLICY_KEY] = delivery or DeliveryPolicy()
    default_routes().register(app)
    ControlApi(state).register(app)
    app.cleanup_ctx.append(_http_session)
    app.cleanup_ctx.append(_webhook_delivery)
    return app


async def _http_session(app: web.Application) -> AsyncIterator[None]:
    """An HTTP client for fetching files sent by URL (and delivering webhooks)."""
    async with aiohttp.ClientSession() as session:
        app[HTTP_KEY] = session
        yield


async def _webhook_delivery(app: web.Application) -> AsyncIterator[None]:
    """One webhook dispatcher per bot, on its own connection pool (max_connections bounds it)."""
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        dispatchers = [
            WebhookDispatcher(bot, session, app[POLICY_KEY]) for bot in app[STATE_KEY].bots.values()
        ]
        for dispatcher in dispatchers:
            dispatcher.start()
        try:
            yield
        finally:
            for dispatcher in dispatchers:
                await dispatcher.stop()


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
    state: BotApiState, *, port: int, host: str = "127.0.0.1", delivery: DeliveryPolicy | None = None
) -> AsyncIterator[RunningEmulator]:
    """Serve the emulator on host:port for the duration of the block."""
    app = create_app(state, delivery=delivery)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        yield RunningEmulator(url=f"http://{host}:{port}", state=state, app=app)
    finally:
        await runner.cleanup()
