"""The leader lease in Redis: one holder at a time, an epoch that grows on every acquisition.

Acquire is one Lua script: SET NX PX of the holder id plus INCR of the epoch counter, so the epoch is a
fencing token no two terms share. Renew and release compare the stored holder first, so only the holder
passes. The current lease is also written as a JSON state key and announced on a pub/sub channel.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass

import redis.asyncio as aioredis

from shared.keys import Keys

__all__ = ["LeaderInfo", "RedisLease", "read_leader"]

_ACQUIRE = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local epoch = redis.call('INCR', KEYS[2])
  redis.call('SET', KEYS[1], ARGV[1] .. '|' .. epoch, 'PX', ARGV[2])
  return epoch
end
return 0
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


@dataclass(frozen=True, slots=True)
class LeaderInfo:
    """The published view of the lease: who holds it, in which epoch, until when (wall clock)."""

    holder: str | None
    epoch: int
    expires_at: float

    def as_health(self, now: float | None = None) -> dict[str, object]:
        remaining = self.expires_at - (time.time() if now is None else now)
        return {"holder": self.holder, "epoch": self.epoch, "expires_in": round(max(0.0, remaining), 3)}

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str | bytes) -> LeaderInfo:
        data = json.loads(raw)
        return cls(holder=data["holder"], epoch=int(data["epoch"]), expires_at=float(data["expires_at"]))


class RedisLease:
    """Acquire, renew and release one holder's claim on the lease."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, holder: str, ttl_seconds: float) -> None:
        self._redis = redis
        self._keys = keys
        self._holder = holder
        self._ttl_ms = int(ttl_seconds * 1000)
        self._token: str | None = None

    @property
    def holder(self) -> str:
        return self._holder

    async def try_acquire(self) -> int | None:
        """Take the lease if it is free; return the new epoch, or None when someone else holds it."""
        epoch = int(
            await self._redis.eval(
                _ACQUIRE, 2, self._keys.lease, self._keys.lease_epoch, self._holder, self._ttl_ms
            )
        )
        if epoch == 0:
            return None
        self._token = f"{self._holder}|{epoch}"
        return epoch

    async def renew(self) -> bool:
        """Reset the TTL if this holder still owns the lease; False means step down now."""
        if self._token is None:
            return False
        renewed = await self._redis.eval(_RENEW, 1, self._keys.lease, self._token, self._ttl_ms)
        return bool(renewed)

    async def release(self) -> bool:
        """Delete the lease only if it is still ours. Returns whether it was."""
        if self._token is None:
            return False
        token, self._token = self._token, None
        return bool(await self._redis.eval(_RELEASE, 1, self._keys.lease, token))

    async def publish(self, info: LeaderInfo) -> None:
        """Write the state key (read at start) and announce it (for those listening now)."""
        payload = info.to_json()
        ttl_ms = max(self._ttl_ms * 2, 1000)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._keys.leader_state, payload, px=ttl_ms)
            pipe.publish(self._keys.leader_channel, payload)
            await pipe.execute()


async def read_leader(redis: aioredis.Redis, keys: Keys) -> LeaderInfo | None:
    """The last published leader, or None if nobody has led recently."""
    raw = await redis.get(keys.leader_state)
    return None if raw is None else LeaderInfo.from_json(raw)
