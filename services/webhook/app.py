"""The webhook program: an aiohttp server on ``BIND_HOST:PORT`` that runs until the stop event."""

from __future__ import annotations

import asyncio

import aiohttp
import structlog
from aiohttp import web

from services.webhook import health, kie_callback, result_route
from services.webhook.registration import Poller, WebhookRegistrar
from services.webhook.telegram_route import INBOX, SECRET, receive_update
from shared.errors import ConfigError
from shared.heartbeat import ProcessState
from shared.inbox import InboxWriter
from shared.lease.leadership import LeaderDuty, LeaderWatch, run_while_leader
from shared.process import Program, Runtime
from shared.settings import BotMode, Settings
from shared.telegram.client import build_botapi

__all__ = ["PROGRAM", "build_app"]

log = structlog.get_logger()

MAX_BODY_BYTES = 1024 * 1024


def check(settings: Settings) -> None:
    settings.require_telegram()
    if settings.BOT_MODE is BotMode.WEBHOOK:
        settings.require_webhook_secret()
        if settings.WEBHOOK_URL is None:
            raise ConfigError("WEBHOOK_URL: required when BOT_MODE=webhook, expected the public HTTPS URL")


def build_app(runtime: Runtime) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    health.mount(app, runtime)
    app[INBOX] = InboxWriter(runtime.redis, runtime.keys)
    app.on_cleanup.append(_close_inbox)
    secret = runtime.settings.WEBHOOK_SECRET_TOKEN
    if secret is not None:
        app[SECRET] = secret.get_secret_value().encode()
        app.router.add_post("/telegram/webhook", receive_update)
    kie_callback.mount(app, runtime)
    result_route.mount(app, runtime)
    return app


async def _close_inbox(app: web.Application) -> None:
    await app[INBOX].aclose()


async def serve(runtime: Runtime) -> None:
    """Listen until stopped; on stop, refuse new requests and finish in-flight ones."""
    runner = web.AppRunner(build_app(runtime), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        settings = runtime.settings
        site = web.TCPSite(runner, host=settings.BIND_HOST, port=settings.PORT, shutdown_timeout=5.0)
        await site.start()
        runtime.set_state(ProcessState.RUNNING)
        log.info("webhook_listening", host=settings.BIND_HOST, port=settings.PORT)
        await _run_leader_duties(runtime, runner.app[INBOX])
    finally:
        await runner.cleanup()


async def _run_leader_duties(runtime: Runtime, inbox: InboxWriter) -> None:
    """Until stopped: register the webhook (or poll) whenever this host leads."""
    settings = runtime.settings
    async with aiohttp.ClientSession() as session:
        api = build_botapi(settings, session)
        duty: LeaderDuty
        if settings.BOT_MODE is BotMode.POLLING:
            duty = Poller(api, inbox, runtime.keys)
        else:
            assert settings.WEBHOOK_URL is not None
            duty = WebhookRegistrar(
                api, settings.WEBHOOK_URL, settings.require_webhook_secret().get_secret_value()
            )
        watch = LeaderWatch(runtime.redis, runtime.keys, runtime.identity.host)
        async with asyncio.TaskGroup() as group:
            group.create_task(watch.run(runtime.stop), name="leader-watch")
            group.create_task(run_while_leader(watch, duty, runtime.stop, name="ingress"), name="ingress")


PROGRAM = Program(name="webhook", serve=serve, check=check)
