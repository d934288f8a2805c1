"""Bot API calls made while handling an update are journaled, so re-handling it does not repeat them.

When a worker dies after its handler called Telegram but before the update was acknowledged, another
worker handles the update again. Handlers are deterministic for the same update and state, so the n-th
call of the second run is the n-th call of the first: if the journal holds its result, that result is
returned and Telegram is not called again. What remains unknowable is a call whose HTTP exchange was cut
by the crash itself; that call is repeated (a duplicate message beats a silent bot).
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
import structlog
from telegram.ext import BaseRateLimiter

from shared.keys import Keys

__all__ = ["JournaledLimiter", "journal_scope"]

log = structlog.get_logger()

JOURNAL_TTL_SECONDS = 26 * 3600

Result = bool | dict[str, Any] | list[dict[str, Any]]


@dataclass(slots=True)
class _Scope:
    update_id: int
    calls: int = field(default=0)


_scope: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar("telegram_journal", default=None)


@contextmanager
def journal_scope(update_id: int) -> Iterator[None]:
    """Journal the Bot API calls made inside this block under ``update_id``."""
    token = _scope.set(_Scope(update_id))
    try:
        yield
    finally:
        _scope.reset(token)


class JournaledLimiter(BaseRateLimiter[None]):
    """Wraps another rate limiter; inside a :func:`journal_scope`, replays calls already made."""

    def __init__(self, inner: BaseRateLimiter[None], redis: aioredis.Redis, keys: Keys) -> None:
        self._inner = inner
        self._redis = redis
        self._keys = keys

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> Result:
        scope = _scope.get()
        if scope is None:
            return await self._inner.process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        scope.calls += 1
        key = self._keys.telegram_journal(scope.update_id, scope.calls)
        recorded = await self._redis.get(key)
        if recorded is not None:
            entry = json.loads(recorded)
            if entry["endpoint"] == endpoint:
                log.debug("telegram_call_replayed", call=scope.calls, endpoint=endpoint)
                return entry["result"]  # type: ignore[no-any-return]
        result = await self._inner.process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        log.debug("telegram_call_made", call=scope.calls, endpoint=endpoint)
        entry_json = json.dumps({"endpoint": endpoint, "result": result})
        await self._redis.set(key, entry_json, ex=JOURNAL_TTL_SECONDS)
        return result
