"""The leader lease: what every backend offers, and how the current leader is published.

A lease backend (:class:`LeaseBackend`) grants one holder at a time a term with an epoch that grows on
every acquisition: the fencing token. Redis (``shared.lease.redis``) and PostgreSQL
(``shared.lease.postgres``) implement it; exactly one of them is the authority of a deployment
(``LOCK_BACKEND``), and it is never mixed within one term.

Whatever the backend, the lease is published to Redis: a state key that any process reads at start and
a pub/sub message on every change (:func:`publish_leader`, :func:`read_leader`). Publishing is guarded
by the epoch, so a stale holder can never overwrite the announcement of a newer term.

Errors::

    LeaseError
    ├── LeaseConnectionLost   no answer (refused, closed, timed out): the outcome is unknown
    └── LeaseBackendFailed    the store answered with an error
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Protocol

import redis.asyncio as aioredis

from shared.errors import TrtError
from shared.keys import Keys

__all__ = [
    "LeaderBoard",
    "LeaderInfo",
    "LeaseBackend",
    "LeaseBackendFailed",
    "LeaseConnectionLost",
    "LeaseError",
    "holder_host",
    "publish_leader",
    "read_leader",
]


class LeaseError(TrtError):
    """A lease operation could not be confirmed."""


class LeaseConnectionLost(LeaseError):
    """The store did not answer (connection refused, closed or timed out); the outcome is unknown."""


class LeaseBackendFailed(LeaseError):
    """The store answered, with an error."""


def holder_host(holder: str) -> str:
    """The host part of a holder id ``host/program/pid`` (see ``ProcessIdentity.holder_id``)."""
    return holder.rsplit("/", 2)[0]


@dataclass(frozen=True, slots=True)
class LeaderInfo:
    """The published view of the lease: who holds it, in which epoch, until when (wall clock).

    ``holder`` is None when the holder of ``epoch`` stepped down or released: nobody leads. ``origin``
    names the machine and process namespace the holder's pid belongs to (see
    ``shared.lease.predecessor.process_origin``), so that only a keeper of the same one judges that pid.
    """

    holder: str | None
    epoch: int
    expires_at: float
    backend: str = "redis"
    origin: str | None = None

    @property
    def host(self) -> str | None:
        """The host whose lock keeper holds the lease, or None."""
        return None if self.holder is None else holder_host(self.holder)

    def is_live(self, now: float | None = None) -> bool:
        """Whether somebody leads according to this record at ``now`` (wall clock)."""
        return self.holder is not None and self.expires_at > (time.time() if now is None else now)

    def as_health(self, now: float | None = None) -> dict[str, object]:
        """The ``leader`` object of ``GET /health``."""
        remaining = self.expires_at - (time.time() if now is None else now)
        return {"holder": self.holder, "epoch": self.epoch, "expires_in": round(max(0.0, remaining), 3)}

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str | bytes) -> LeaderInfo:
        data = json.loads(raw)
        return cls(
            holder=data["holder"],
            epoch=int(data["epoch"]),
            expires_at=float(data["expires_at"]),
            backend=str(data.get("backend", "redis")),
            origin=data.get("origin"),
        )


class LeaseBackend(Protocol):
    """One holder's handle on the lease. Every call either answers or raises a :class:`LeaseError`."""

    @property
    def name(self) -> str:
        """``redis`` or ``postgres``: the authority this backend speaks for."""

    @property
    def holder(self) -> str:
        """This holder's id, unique per process."""

    async def try_acquire(self, floor: int = 0, *, dead_holder: str | None = None) -> int | None:
        """Start a new term if the lease is free: return its epoch (> ``floor``), or None if held.

        A term held by ``dead_holder`` (a holder the caller proved gone) counts as free.
        """

    async def renew(self) -> bool:
        """Extend this holder's term to a full TTL (compare-and-set); False means the term is lost."""

    async def release(self) -> bool:
        """End this holder's term now if it is still held; return whether it was."""

    async def highest_epoch(self) -> int:
        """The highest epoch this backend has granted (0 if none), for the other backend's floor."""

    async def aclose(self) -> None:
        """Close connections; idempotent, never raises."""


# Accept a state only if it is not older than the stored one. An epoch belongs to one holder, so an
# equal epoch is the same term renewing or stepping down; a lower epoch is a stale holder.
_PUBLISH = """
local current = redis.call('GET', KEYS[1])
if current then
  local ok, stored = pcall(cjson.decode, current)
  if ok and tonumber(stored['epoch']) > tonumber(ARGV[2]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('PUBLISH', KEYS[2], ARGV[1])
return 1
"""


async def publish_leader(redis: aioredis.Redis, keys: Keys, info: LeaderInfo, keep_seconds: float) -> bool:
    """Write the state key and announce it, unless a newer epoch is already published.

    The key itself is kept ``keep_seconds`` so that a crashed holder's state disappears eventually;
    readers judge liveness by ``expires_at``. Returns whether the state was accepted.
    """
    keep_ms = max(1000, int(keep_seconds * 1000))
    args = (info.to_json(), info.epoch, keep_ms)
    accepted = await redis.eval(_PUBLISH, 2, keys.leader_state, keys.leader_channel, *args)
    return bool(accepted)


async def read_leader(redis: aioredis.Redis, keys: Keys) -> LeaderInfo | None:
    """The last published leader state, or None if nothing was published recently.

    The state may have expired (``is_live()`` is False) or say that nobody leads (``holder`` None).
    """
    raw = await redis.get(keys.leader_state)
    return None if raw is None else LeaderInfo.from_json(raw)


class LeaderBoard:
    """Where the lock keeper announces the lease and anyone reads it: Redis, under ``keys``."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, keep_seconds: float) -> None:
        self._redis = redis
        self._keys = keys
        self._keep = keep_seconds

    async def publish(self, info: LeaderInfo) -> bool:
        """Announce ``info`` unless a newer epoch is published; see :func:`publish_leader`."""
        return await publish_leader(self._redis, self._keys, info, self._keep)

    async def read(self) -> LeaderInfo | None:
        """The published state; see :func:`read_leader`."""
        return await read_leader(self._redis, self._keys)
