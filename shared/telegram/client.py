"""The one place Bot API clients are built, all honouring ``TELEGRAM_API_BASE_URL`` and the shared limiter.

Programs that handle updates get a PTB ``Application`` (``build_application``); programs that only send
get an ``ExtBot`` (``build_bot``); the light programs that make a few raw calls and must not load PTB
(webhook registration, polling, the crash guard's alerts) get a :class:`BotApi` (``build_botapi``).
"""

from __future__ import annotations

import asyncio
import functools
import socket
import struct
from typing import TYPE_CHECKING

import redis.asyncio as aioredis
import structlog

from shared.aio import wait_stopped
from shared.errors import ConfigError
from shared.keys import Keys
from shared.settings import Settings
from shared.telegram.botapi import BotApi

if TYPE_CHECKING:  # PTB is heavy: only the programs that build its objects import it
    import ssl
    from collections.abc import Callable

    import aiohttp
    from telegram.ext import Application, ExtBot
    from telegram.request import HTTPXRequest

    from shared.telegram.limits import TelegramLimits

__all__ = ["build_application", "build_bot", "build_botapi", "initialize_when_reachable", "telegram_limits"]

log = structlog.get_logger()

GET_ME_RETRY_SECONDS = 2.0
"""getMe at start is retried this often while the Bot API is unreachable, instead of crash-looping."""

ABORT_ON_CLOSE = (socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
"""A connection closed with a request still unsent (a call that timed out or was cancelled) is reset
and its unsent bytes dropped. Without it the kernel keeps retransmitting them after the close, and a
call given up during a network partition reaches Telegram when the partition heals, after the update
was handled again: a reply sent twice, the second out of order (seen in ``make chaos``)."""


def build_application(settings: Settings, redis: aioredis.Redis) -> Application:  # type: ignore[type-arg]
    """An Application with no Updater (updates come from our inbox), calls journaled per update."""
    from telegram.ext import ApplicationBuilder

    from shared.telegram.journal import JournaledLimiter
    from shared.telegram.limits import RedisRateLimiter

    keys = Keys(settings.REDIS_KEY_PREFIX)
    limiter = JournaledLimiter(RedisRateLimiter(redis, keys, telegram_limits(settings)), redis, keys)
    api, files = _base_urls(settings)
    # ApplicationBuilder's own defaults (256 connections for calls, 1 for getUpdates), one TLS context.
    calls, get_updates = _request(256), _request(1)
    return (
        ApplicationBuilder()
        .token(_token(settings))
        .base_url(api)
        .base_file_url(files)
        .updater(None)
        .request(calls)
        .get_updates_request(get_updates)
        .rate_limiter(limiter)
        .build()
    )


def build_bot(settings: Settings, redis: aioredis.Redis, *, connections: int) -> ExtBot[None]:
    """A sending-only bot behind the shared rate limiter, with ``connections`` pooled HTTP connections."""
    from telegram.ext import ExtBot

    from shared.telegram.limits import RedisRateLimiter

    api, files = _base_urls(settings)
    limiter = RedisRateLimiter(redis, Keys(settings.REDIS_KEY_PREFIX), telegram_limits(settings))
    return ExtBot(
        _token(settings),
        base_url=api,
        base_file_url=files,
        request=_request(connections, pool_timeout=10.0),
        get_updates_request=_request(1),  # never used; PTB's default, on the shared context
        rate_limiter=limiter,
    )


def _request(connections: int, *, pool_timeout: float = 1.0) -> HTTPXRequest:
    """A PTB HTTP client on the process's one TLS context. Left alone, httpx loads certifi's bundle into
    a context of its own for every client (PTB builds two per bot): about 0.4 MiB each."""
    from telegram.request import HTTPXRequest

    return HTTPXRequest(
        connection_pool_size=connections,
        pool_timeout=pool_timeout,
        socket_options=[ABORT_ON_CLOSE],
        httpx_kwargs={"verify": _tls_context()},
    )


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The context httpx would build for each client (certifi's bundle, or SSL_CERT_FILE/SSL_CERT_DIR)."""
    import httpx

    return httpx.create_ssl_context()


def build_botapi(
    settings: Settings, session: aiohttp.ClientSession | Callable[[], aiohttp.ClientSession]
) -> BotApi:
    """The raw client for the few calls made where PTB is not loaded."""
    return BotApi(session, settings.TELEGRAM_API_BASE_URL, _token(settings))


async def initialize_when_reachable(client: Application | ExtBot[None], stop: asyncio.Event) -> bool:  # type: ignore[type-arg]
    """getMe until it answers: a refused token is a configuration error, anything else is waited out.

    Telegram is not something a program cannot start without. False when stopped first.
    """
    from telegram.error import InvalidToken, TelegramError

    while True:
        try:
            await client.initialize()
            return True
        except InvalidToken as exc:
            raise ConfigError("TELEGRAM_BOT_TOKEN: rejected by the Bot API as unauthorized") from exc
        except TelegramError as exc:
            log.warning("bot_api_unavailable_at_start", reason=str(exc), retry_in_s=GET_ME_RETRY_SECONDS)
        if await wait_stopped(stop, GET_ME_RETRY_SECONDS):
            return False


def telegram_limits(settings: Settings) -> TelegramLimits:
    """Telegram's flood limits as configured."""
    from shared.telegram.limits import TelegramLimits

    return TelegramLimits(
        per_second=settings.TELEGRAM_RATE_PER_SECOND,
        per_chat_second=settings.TELEGRAM_RATE_PER_CHAT_SECOND,
        per_group_minute=settings.TELEGRAM_RATE_PER_GROUP_MINUTE,
    )


def _token(settings: Settings) -> str:
    return settings.require_telegram().get_secret_value()


def _base_urls(settings: Settings) -> tuple[str, str]:
    base = settings.TELEGRAM_API_BASE_URL
    return f"{base}/bot", f"{base}/file/bot"
