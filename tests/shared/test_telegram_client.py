"""The one client builder: every PTB HTTP client of a process shares one TLS context.

httpx builds a context from certifi's bundle for each client it is not given one, and PTB builds two
clients per bot (calls and getUpdates): about 0.4 MiB each, in the bot workers and jobs.
"""

from __future__ import annotations

import ssl

import redis.asyncio as aioredis

from shared.settings import load_settings
from shared.telegram.client import build_application, build_bot


def test_every_ptb_client_shares_one_tls_context() -> None:
    settings = load_settings({"TELEGRAM_BOT_TOKEN": "1:x"})
    redis = aioredis.Redis()
    application = build_application(settings, redis)
    bot = build_bot(settings, redis, connections=8)
    requests = [*application.bot._request, *bot._request]
    contexts = {id(request._client_kwargs["verify"]) for request in requests}  # type: ignore[attr-defined]
    assert len(requests) == 4 and len(contexts) == 1
    assert isinstance(requests[0]._client_kwargs["verify"], ssl.SSLContext)  # type: ignore[attr-defined]
    # PTB's own sizes: 256 connections for calls, 1 for getUpdates; the sender's as asked.
    sizes = [request._client_kwargs["limits"].max_connections for request in requests]  # type: ignore[attr-defined]
    assert sizes == [1, 256, 1, 8]
