"""The Redis lease backend: one key holding ``holder|epoch``, an INCR counter as the epoch source.

Acquire is one Lua script: SET NX PX of the holder, then INCR of the epoch counter (raised above the
caller's floor first, so epochs stay comparable with PostgreSQL terms), then the key is rewritten to
``holder|epoch``. Renew (PEXPIRE to a full TTL, like ``Lock.reacquire``) and release compare that token
first, so only the holder of this very term passes. Redis errors are translated into
:class:`~shared.lease.LeaseError` here, at the adapter.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from shared.keys import Keys
from shared.lease.backend import LeaseBackendFailed, LeaseConnectionLost

__all__ = ["RedisLease"]

# A retried acquire whose first reply was lost finds its own holder id and gets its term back,
# with a full TTL again, instead of waiting a whole TTL for its own key to expire. A term held by
# ARGV[4] (a holder the caller proved dead) is replaced by a new term, with the next epoch.
_ACQUIRE = """
local current = redis.call('GET', KEYS[1])
if current then
  local sep = string.find(current, '|', 1, true)
  local holder = sep and string.sub(current, 1, sep - 1)
  if holder == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return tonumber(string.sub(current, sep + 1))
  end
  if ARGV[4] == '' or holder ~= ARGV[4] then
    return 0
  end
end
local epoch = redis.call('INCR', KEYS[2])
local floor = tonumber(ARGV[3])
if epoch <= floor then
  epoch = floor + 1
  redis.call('SET', KEYS[2], epoch)
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. epoch, 'PX', ARGV[2])
return epoch
"""

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisLease:
    """Acquire, renew and release one holder's claim on the lease in Redis."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, holder: str, ttl_seconds: float) -> None:
        if "|" in holder:
            raise ValueError(f"holder id {holder!r}: must not contain '|'")
        self._redis = redis
        self._keys = keys
        self._holder = holder
        self._ttl_ms = int(ttl_seconds * 1000)
        self._token: str | None = None

    @property
    def name(self) -> str:
        return "redis"

    @property
    def holder(self) -> str:
        return self._holder

    async def try_acquire(self, floor: int = 0, *, dead_holder: str | None = None) -> int | None:
        """Take the lease if it is free (or held by ``dead_holder``); return the new epoch (> ``floor``),
        or None when it is held."""
        keys = (self._keys.lease, self._keys.lease_epoch)
        args = (self._holder, self._ttl_ms, floor, dead_holder or "")
        epoch = int(await _call(self._redis.eval(_ACQUIRE, 2, *keys, *args)))
        if epoch == 0:
            return None
        self._token = f"{self._holder}|{epoch}"
        return epoch

    async def renew(self) -> bool:
        """Reset the TTL if this term still owns the lease; False means step down now."""
        if self._token is None:
            return False
        return bool(await _call(self._redis.eval(_RENEW, 1, self._keys.lease, self._token, self._ttl_ms)))

    async def release(self) -> bool:
        """Delete the lease only if this term still owns it. Returns whether it did."""
        if self._token is None:
            return False
        token, self._token = self._token, None
        return bool(await _call(self._redis.eval(_RELEASE, 1, self._keys.lease, token)))

    async def highest_epoch(self) -> int:
        """The epoch counter: the highest epoch Redis has granted."""
        raw = await _call(self._redis.get(self._keys.lease_epoch))
        return 0 if raw is None else int(raw)

    async def aclose(self) -> None:
        """The Redis client belongs to the runtime; nothing to close here."""


async def _call(command: Awaitable[Any]) -> Any:
    """Await a Redis command, translating its failures into lease errors."""
    try:
        return await command
    except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
        raise LeaseConnectionLost(str(exc) or type(exc).__name__) from exc
    except RedisError as exc:
        raise LeaseBackendFailed(str(exc) or type(exc).__name__) from exc
