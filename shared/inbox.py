"""The inbox: Telegram updates accepted once, kept in a Redis stream until a bot worker handled them.

Accepting an update is one Lua script, so it is all-or-nothing: if the update_id was seen, nothing
happens; otherwise the entry is appended with its chat and its place in that chat, the chat's counter
advances, and only then the update_id is claimed. A failed append leaves no claim behind, so Telegram's
retry is accepted.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from shared.keys import Keys

__all__ = ["CLAIM_TTL_SECONDS", "InboxEntry", "InboxWriter", "chat_key_of"]

# Telegram keeps undelivered updates for 24 h; a claim must outlive every possible retry of one.
CLAIM_TTL_SECONDS = 26 * 3600
# Bounded so a stuck group cannot fill Redis; far above any backlog a healthy system builds.
INBOX_MAXLEN = 1_000_000

_ACCEPT = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local seq = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0') + 1
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*',
  'update_id', ARGV[2], 'chat', ARGV[1], 'seq', seq, 'update', ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], seq)
redis.call('SET', KEYS[1], '1', 'EX', ARGV[5])
return seq
"""

_CHAT_PATHS = (
    ("message", "chat"),
    ("edited_message", "chat"),
    ("channel_post", "chat"),
    ("edited_channel_post", "chat"),
    ("business_message", "chat"),
    ("my_chat_member", "chat"),
    ("chat_member", "chat"),
    ("chat_join_request", "chat"),
)
_USER_PATHS = ("callback_query", "inline_query", "pre_checkout_query", "shipping_query", "poll_answer")


def chat_key_of(update: dict[str, Any]) -> str:
    """The ordering key of an update: its chat, else its user, else one shared lane.

    Any shape is accepted: a field of an unexpected type simply does not name a chat.
    """
    for field, inner in _CHAT_PATHS:
        chat_id = _id_at(update, field, inner)
        if chat_id is not None:
            return chat_id
    callback_chat = _id_at(update, "callback_query", "message", "chat")
    if callback_chat is not None:
        return callback_chat
    for field in _USER_PATHS:
        user_id = _id_at(update, field, "from") or _id_at(update, field, "user")
        if user_id is not None:
            return f"u{user_id}"
    return "global"


def _id_at(update: dict[str, Any], *path: str) -> str | None:
    """``update[path...]["id"]`` as text when every step is an object and the id a plain number."""
    node: object = update
    for step in path:
        node = node.get(step) if isinstance(node, dict) else None
    chat_id = node.get("id") if isinstance(node, dict) else None
    return str(chat_id) if isinstance(chat_id, int) and not isinstance(chat_id, bool) else None


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """One stream entry as a worker sees it."""

    entry_id: str
    update_id: int
    chat: str
    seq: int
    update: dict[str, Any]

    @classmethod
    def from_fields(cls, entry_id: str, fields: dict[bytes, bytes]) -> InboxEntry:
        return cls(
            entry_id=entry_id,
            update_id=int(fields[b"update_id"]),
            chat=fields[b"chat"].decode(),
            seq=int(fields[b"seq"]),
            update=json.loads(fields[b"update"]),
        )


class InboxWriter:
    """Accepts updates into the inbox exactly once per update_id.

    Concurrent calls are coalesced: while one round trip to Redis is under way, new updates queue up and
    go together in the next pipeline. Each update is still its own atomic script, and each caller learns
    its own outcome (or the Redis error that stopped it).
    """

    def __init__(self, redis: aioredis.Redis, keys: Keys, max_batch: int = 256) -> None:
        self._redis = redis
        self._keys = keys
        self._accept = redis.register_script(_ACCEPT)
        self._max_batch = max_batch
        self._queue: list[tuple[list[str], list[str | int], asyncio.Future[bool]]] = []
        self._flusher: asyncio.Task[None] | None = None

    @property
    def redis(self) -> aioredis.Redis:
        return self._redis

    async def accept(self, update: dict[str, Any], raw: str | None = None) -> bool:
        """Append ``update`` unless its update_id was accepted before. True when it is new."""
        update_id = int(update["update_id"])
        keys = [self._keys.update_claim(update_id), self._keys.chat_sequence, self._keys.inbox]
        body = raw if raw is not None else json.dumps(update, separators=(",", ":"))
        args: list[str | int] = [chat_key_of(update), update_id, body, INBOX_MAXLEN, CLAIM_TTL_SECONDS]
        outcome: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append((keys, args, outcome))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="inbox-writer")
        return await outcome

    async def aclose(self) -> None:
        """Wait for queued updates to be written (or failed)."""
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for keys, args, _ in batch:
                        await self._accept(keys=keys, args=args, client=pipe)
                    results = await pipe.execute(raise_on_error=False)
            except (RedisError, OSError) as exc:
                results = [exc] * len(batch)
            for (_, _, outcome), result in zip(batch, results, strict=True):
                if outcome.done():
                    continue
                if isinstance(result, BaseException):
                    outcome.set_exception(result)
                else:
                    outcome.set_result(int(result) > 0)
