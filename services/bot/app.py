"""The bot worker: a PTB Application initialised against the Bot API and kept until the stop event."""

from __future__ import annotations

import structlog
from telegram.error import InvalidToken

from shared.errors import ConfigError
from shared.heartbeat import ProcessState
from shared.process import Program, Runtime
from shared.settings import Settings
from shared.telegram import build_application

__all__ = ["PROGRAM"]

log = structlog.get_logger()


def check(settings: Settings) -> None:
    settings.require_telegram()


async def serve(runtime: Runtime) -> None:
    """Initialise the Application (getMe), start it, and stop it in order when asked."""
    application = build_application(runtime.settings)
    try:
        await application.initialize()
    except InvalidToken as exc:
        raise ConfigError("TELEGRAM_BOT_TOKEN: rejected by the Bot API as unauthorized") from exc
    try:
        await application.start()
        runtime.set_state(ProcessState.RUNNING)
        log.info("bot_ready", username=application.bot.username)
        await runtime.stop.wait()
        await application.stop()
    finally:
        await application.shutdown()


PROGRAM = Program(name="bot", serve=serve, check=check)
