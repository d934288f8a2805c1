"""Inline offers kept server-side until their Generate button is pressed.

A button's callback_data holds at most 64 bytes, so it carries only the draft's id; the draft (who
asked, the prompt, the model, its parameters and the price shown) lives in Redis for a day. The id is
derived from the inline query, so re-handling that query (after a crash) offers the same draft.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from shared.keys import Keys

__all__ = ["DRAFT_TTL_SECONDS", "InlineDraft", "InlineDrafts", "draft_id_for"]

DRAFT_TTL_SECONDS = 24 * 3600
"""An offer not started within a day answers as expired (the user types the query again)."""

_NAMESPACE = uuid.UUID("0c8f3e52-7d41-4b9a-a6e2-51f0d3c9b7a4")


def draft_id_for(user_id: int, inline_query_id: str) -> str:
    """The draft id of one inline query: 32 hex digits, the same on every handling."""
    return uuid.uuid5(_NAMESPACE, f"{user_id}:{inline_query_id}").hex


@dataclass(frozen=True, slots=True)
class InlineDraft:
    """What an inline offer will run when its sender presses Generate."""

    draft_id: str
    user_id: int
    first_name: str
    language: str
    prompt: str
    model_id: str
    params: dict[str, Any]
    price: int
    own_chat: bool = False  # typed in the user's own chat with the bot (chat_type "sender")

    @property
    def job_id(self) -> uuid.UUID:
        """The job this offer creates: one, however often Generate is pressed."""
        return uuid.uuid5(_NAMESPACE, f"job:{self.draft_id}")

    def to_json(self) -> str:
        return json.dumps(
            {
                "user": self.user_id,
                "name": self.first_name,
                "language": self.language,
                "prompt": self.prompt,
                "model": self.model_id,
                "params": self.params,
                "price": self.price,
                "own_chat": self.own_chat,
            }
        )

    @classmethod
    def from_json(cls, draft_id: str, raw: str | bytes) -> InlineDraft:
        data = json.loads(raw)
        return cls(
            draft_id=draft_id,
            user_id=int(data["user"]),
            first_name=str(data["name"]),
            language=str(data["language"]),
            prompt=str(data["prompt"]),
            model_id=str(data["model"]),
            params=dict(data["params"]),
            price=int(data["price"]),
            own_chat=bool(data.get("own_chat")),
        )


class InlineDrafts:
    """Saves and loads inline offers by id."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, ttl_seconds: int = DRAFT_TTL_SECONDS) -> None:
        self._redis = redis
        self._keys = keys
        self._ttl = ttl_seconds

    async def save(self, draft: InlineDraft) -> None:
        """Keep the offer for a day."""
        await self._redis.set(self._keys.inline_draft(draft.draft_id), draft.to_json(), ex=self._ttl)

    async def load(self, draft_id: str) -> InlineDraft | None:
        """The offer, or None when it expired or never existed."""
        if not draft_id.isalnum():
            return None
        raw = await self._redis.get(self._keys.inline_draft(draft_id))
        return None if raw is None else InlineDraft.from_json(draft_id, raw)
