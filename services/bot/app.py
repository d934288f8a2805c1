"""The bot worker: consumes the inbox through the ``bot`` group and runs each update through PTB."""

from __future__ import annotations

import structlog
from telegram.error import InvalidToken

from services.bot import handlers
from services.bot.consumer import ConsumerConfig, InboxConsumer
from services.bot.dispatch import UpdateDispatcher
from shared.errors import ConfigError
from shared.heartbeat import ProcessState
from shared.process import Program, Runtime
from shared.settings import Settings
from shared.telegram import build_application

__all__ = ["PROGRAM"]

log = structlog.get_logger()


def check(settings: Settings) -> None:
    settings.require_telegram()


def consumer_config(settings: Settings) -> ConsumerConfig:
    return ConsumerConfig(
        concurrency=settings.BOT_CONCURRENCY,
        claim_idle_ms=int(settings.INBOX_CLAIM_IDLE_SECONDS * 1000),
    )


async def serve(runtime: Runtime) -> None:
    """Initialise PTB (getMe), consume until stopped, drain, then shut PTB down."""
    application = build_application(runtime.settings, runtime.redis)
    handlers.register(application)
    dispatcher = UpdateDispatcher(application)
    try:
        await application.initialize()
    except InvalidToken as exc:
        raise ConfigError("TELEGRAM_BOT_TOKEN: rejected by the Bot API as unauthorized") from exc
    try:
        consumer = InboxConsumer(
            runtime.redis,
            runtime.keys,
            f"{runtime.identity.host}/{runtime.identity.ctl_name}",
            dispatcher,
            consumer_config(runtime.settings),
        )
        runtime.set_state(ProcessState.RUNNING)
        log.info("bot_ready", username=application.bot.username)
        await consumer.run(runtime.stop)
    finally:
        await application.shutdown()


PROGRAM = Program(name="bot", serve=serve, check=check)
