"""The inbox: Telegram updates accepted once, kept in a Redis stream until a bot worker handled them.

Accepting updates is one Lua script per batch, so each update is all-or-nothing: if the update_id was
seen, nothing happens; otherwise the entry is appended with its chat and its place in that chat, the
chat's counter advances, and only then the update_id is claimed. A failed append leaves no claim
behind, so Telegram's retry is accepted; a batch that fails part-way fails every caller in it, and the
retries of those already appended are answered as duplicates.
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

# One call accepts a whole batch, in arrival order, so a batch costs Redis one script run and (with
# appendfsync always) one fsync. Per update: seen before -> 0; otherwise append it with its place in its
# chat, advance the chat's counter, and only then claim its update_id -> its place (> 0).
# KEYS: chat counters, stream, then one claim key per update. ARGV: claim TTL, then
# (chat, update_id, body) per update. No MAXLEN: a length cap would drop updates not handled yet; handled
# ones are trimmed by time (shared/streams/retention.py).
_ACCEPT = """
local placed = {}
for i = 3, #KEYS do
  local at = (i - 3) * 3 + 2
  if redis.call('EXISTS', KEYS[i]) == 1 then
    placed[#placed + 1] = 0
  else
    local chat = ARGV[at]
    local seq = tonumber(redis.call('HGET', KEYS[1], chat) or '0') + 1
    redis.call('XADD', KEYS[2], '*',
      'update_id', ARGV[at + 1], 'chat', chat, 'seq', seq, 'update', ARGV[at + 2])
    redis.call('HSET', KEYS[1], chat, seq)
    redis.call('SET', KEYS[i], '1', 'EX', ARGV[1])
    placed[#placed + 1] = seq
  end
end
return placed
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
_USER_PATHS = (
    "callback_query",
    "inline_query",
    "chosen_inline_result",
    "pre_checkout_query",
    "shipping_query",
    "poll_answer",
)


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


# claim key, chat, update_id, body, and the future its caller awaits
_Pending = tuple[str, str, int, str, "asyncio.Future[bool]"]


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

    def log_context(self) -> dict[str, object]:
        """Bound to every log line about this entry."""
        return {"update_id": self.update_id, "chat": self.chat}


class InboxWriter:
    """Accepts updates into the inbox exactly once per update_id.

    Concurrent calls are coalesced: while one script call to Redis is under way, new updates queue up
    and go together, in arrival order, in the next one. Each caller learns its own outcome (or the
    Redis error that stopped its batch).
    """

    def __init__(self, redis: aioredis.Redis, keys: Keys, max_batch: int = 256) -> None:
        self._redis = redis
        self._keys = keys
        self._accept = redis.register_script(_ACCEPT)
        self._max_batch = max_batch
        self._queue: list[_Pending] = []
        self._flusher: asyncio.Task[None] | None = None

    @property
    def redis(self) -> aioredis.Redis:
        return self._redis

    async def accept(self, update: dict[str, Any], raw: str | None = None) -> bool:
        """Append ``update`` unless its update_id was accepted before. True when it is new."""
        update_id = int(update["update_id"])
        body = raw if raw is not None else json.dumps(update, separators=(",", ":"))
        outcome: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append(
            (self._keys.update_claim(update_id), chat_key_of(update), update_id, body, outcome)
        )
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
            placed: list[int | BaseException]
            try:
                placed = [*await self._write(batch)]
            except (RedisError, OSError) as exc:
                placed = [exc] * len(batch)
            for pending, result in zip(batch, placed, strict=True):
                outcome = pending[4]
                if outcome.done():
                    continue
                if isinstance(result, BaseException):
                    outcome.set_exception(result)
                else:
                    outcome.set_result(result > 0)

    async def _write(self, batch: list[_Pending]) -> list[int]:
        """One script call for the whole batch: each update's place in its chat, 0 for a duplicate."""
        keys = [self._keys.chat_sequence, self._keys.inbox]
        args: list[str | int] = [CLAIM_TTL_SECONDS]
        for claim, chat, update_id, body, _ in batch:
            keys.append(claim)
            args += (chat, update_id, body)
        placed = await self._accept(keys=keys, args=args)
        return [int(seq) for seq in placed]
