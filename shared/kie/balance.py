"""The KIE account balance as the warmup's leader publishes it, and as `/admin` and `make status` read it.

One Redis hash at `Keys.kie_balance` holds the last reading: `credits` (a number) and `at` (Unix
seconds of the reading). The warmup's balance watch is the only writer (it runs on the leader); any
host reads it, so the age tells a reader how fresh the number is. The key expires after a day, so a
balance nobody refreshes any more disappears instead of looking current.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from shared.keys import Keys

__all__ = ["KieBalance", "publish_balance", "read_balance"]

log = structlog.get_logger()

_TTL_SECONDS = 86_400


@dataclass(frozen=True, slots=True)
class KieBalance:
    """The KIE credit balance as last published, and how old that reading is (None: unknown)."""

    credits: float
    age_s: float | None


async def publish_balance(redis: aioredis.Redis, keys: Keys, credits: float, at: float) -> None:
    """Store one reading of the balance (`at`: Unix seconds); raises RedisError like any write."""
    name = keys.kie_balance
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(name, mapping={"credits": f"{credits:g}", "at": f"{at:.3f}"})
        pipe.expire(name, _TTL_SECONDS)
        await pipe.execute()


async def read_balance(redis: aioredis.Redis, keys: Keys, now: float) -> KieBalance | None:
    """The last published reading, or None when there is none (or the key holds something else)."""
    try:
        raw = cast(dict[bytes, bytes], await redis.hgetall(keys.kie_balance))
        fields = {k.decode(): v.decode() for k, v in raw.items()}
    except (RedisError, UnicodeDecodeError) as exc:  # another type under the key: not ours to judge
        log.info("kie_balance_unreadable", reason=str(exc))
        return None
    try:
        credits = float(fields["credits"])
        stamp = fields.get("at")
        return KieBalance(credits, None if stamp is None else max(0.0, now - float(stamp)))
    except (KeyError, ValueError):
        return None
