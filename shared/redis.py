"""The one factory for asyncio Redis clients, with connect timeout, reconnect and backoff."""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from shared.settings import Settings

__all__ = ["create_redis"]

_RETRIES = 3


def create_redis(settings: Settings, *, read_timeout: float | None = 10.0) -> aioredis.Redis:
    """Build a client. Connections are made lazily and re-made after a failure, with jittered backoff.

    ``read_timeout`` bounds one command; blocking reads (XREADGROUP BLOCK) need it above their block time.
    """
    retry = Retry(ExponentialWithJitterBackoff(base=0.05, cap=1.0), _RETRIES)
    return aioredis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT_SECONDS,
        socket_timeout=read_timeout,
        socket_keepalive=True,
        health_check_interval=15,
        retry=retry,
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )
