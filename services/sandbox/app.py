"""The sandbox program: the Bot API emulator, the KIE emulator and the web chat in one process.

It starts before the other programs (supervisor priority) and runs until the runtime's stop event;
on stop the web chat closes first (ending its long polls), then KIE, then the Bot API emulator.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

import aiohttp
import structlog
from aiohttp import web

from emulators import kie, telegram
from emulators.telegram.model import WebhookConfig
from services.sandbox.chat import ChatApi, create_chat_app
from services.sandbox.config import SandboxConfig, load_sandbox_config
from services.sandbox.database import require_sandbox_database
from services.sandbox.status import StatusReader
from services.sandbox.users import build_roster, register_users
from shared.errors import ConfigError
from shared.heartbeat import ProcessState
from shared.process import Program, Runtime
from shared.settings import Settings

__all__ = ["PROGRAM", "first_update_id", "run_chat"]

log = structlog.get_logger()

KIE_SANDBOX_CREDITS = 1_000_000.0
# Update ids must never repeat across sandbox restarts: the webhook claims each id for 24 hours. Ten
# ids per second since a fixed epoch keeps them growing and of Telegram's usual size (~10 digits).
_UPDATE_ID_EPOCH = 1_600_000_000
_UPDATE_IDS_PER_SECOND = 10


def first_update_id(now: float) -> int:
    """Where a sandbox started at ``now`` begins numbering updates."""
    return max(1, (int(now) - _UPDATE_ID_EPOCH) * _UPDATE_IDS_PER_SECOND)


def remember_webhook(state: telegram.BotApiState, config: SandboxConfig) -> None:
    """Start with the bot's webhook already set, as Telegram keeps it across restarts.

    Updates then flow as soon as the webhook program listens, whichever program started first; the
    webhook program's own registration finds it in place (or changes it, as with real Telegram).
    """
    if config.webhook_url is not None:
        state.bot().webhook = WebhookConfig(url=config.webhook_url, secret_token=config.webhook_secret)


def check(settings: Settings) -> None:
    load_sandbox_config(settings)


def _kie_state(config: SandboxConfig) -> kie.KieState:
    # The emulator validates against KIE's docs table only, never our catalogue.
    emulator_config = kie.EmulatorConfig(
        api_keys={config.kie_api_key: KIE_SANDBOX_CREDITS}, hmac_key=config.kie_hmac_key
    )
    return kie.KieState(emulator_config)


@asynccontextmanager
async def run_chat(api: ChatApi, host: str, port: int) -> AsyncIterator[None]:
    """Serve the web chat on host:port for the duration of the block."""
    runner = web.AppRunner(
        create_chat_app(api, port), access_log=None, handle_signals=False, shutdown_timeout=2.0
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        yield
    finally:
        await runner.cleanup()


async def serve(runtime: Runtime) -> None:
    """Start the emulators and the chat, then wait for the stop event."""
    if runtime.db is None:
        raise ConfigError("DATABASE_URL: the sandbox reads balances from PostgreSQL")
    await require_sandbox_database(runtime.db)
    config = load_sandbox_config(runtime.settings)
    state = telegram.BotApiState([config.bot_token], first_update_id=first_update_id(time.time()))
    roster = build_roster(config.admin_ids)
    register_users(state, roster)
    remember_webhook(state, config)
    async with AsyncExitStack() as stack:
        tg = await stack.enter_async_context(
            telegram.run_emulator(state, port=config.telegram_port, host=config.host)
        )
        kie_running = await stack.enter_async_context(_run_kie(config))
        http = await stack.enter_async_context(aiohttp.ClientSession())
        links = {"telegram": tg.url, "kie": kie_running.url, "health": config.health_url}
        status = StatusReader(runtime.db, http, config.health_url)
        api = ChatApi(state, roster, status, runtime.stop, links)
        await stack.enter_async_context(run_chat(api, config.host, config.chat_port))
        runtime.set_state(ProcessState.RUNNING)
        log.info("sandbox_ready", chat_url=config.chat_url, telegram_url=tg.url, kie_url=kie_running.url)
        await runtime.stop.wait()
    log.info("sandbox_stopped")


def _run_kie(config: SandboxConfig) -> AbstractAsyncContextManager[kie.RunningEmulator]:
    """The KIE emulator, with its upload host on a port of its own when the configuration gives one."""
    upload_port = None if config.kie_upload_port == config.kie_port else config.kie_upload_port
    state = _kie_state(config)
    return kie.run_emulator(state, port=config.kie_port, host=config.host, upload_port=upload_port)


PROGRAM = Program(name="sandbox", serve=serve, check=check)
