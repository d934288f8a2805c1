"""Per-user preferences: the chosen language, the last model and settings per type, a typed draft.

The language is also written to the user's row, so messages the `jobs` program sends (results,
failures) use it too. The rest lives in Redis only: losing it costs a user one tap, never money.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from psycopg_pool import AsyncConnectionPool

from shared.chat.texts import Language
from shared.keys import Keys

__all__ = ["Choice", "Preferences"]


_SET_LANGUAGE = "UPDATE users SET language = %s WHERE id = %s"
CHOICE_TTL_SECONDS = 180 * 24 * 3600
"""A type not used for half a year starts again from the operator's default model."""
DRAFT_TTL_SECONDS = 24 * 3600
"""Text typed at the menu waits a day for the user to say what to make of it."""


@dataclass(frozen=True, slots=True)
class Choice:
    """The model a user last ran a type with, and the settings they ran it with."""

    model_id: str
    settings: dict[str, Any]


def _text(raw: bytes | str | None) -> str | None:
    return raw.decode() if isinstance(raw, bytes) else raw


class Preferences:
    """A user's language (falling back to their Telegram client's), last choices and draft text."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, pool: AsyncConnectionPool[Any]) -> None:
        self._redis = redis
        self._keys = keys
        self._pool = pool

    async def language(self, user_id: int, language_code: str | None) -> Language:
        """The language to answer this user in."""
        chosen = Language.parse(_text(await self._redis.get(self._keys.user_language(user_id))))
        return chosen or Language.of(language_code)

    async def set_language(self, user_id: int, language: Language) -> None:
        """Remember the language the user chose in /settings."""
        async with self._pool.connection() as conn:
            await conn.execute(_SET_LANGUAGE, (language.value, user_id))
        await self._redis.set(self._keys.user_language(user_id), language.value)

    async def choice(self, user_id: int, gen_type: str) -> Choice | None:
        """The model and settings this user last generated ``gen_type`` with, if any."""
        raw = _text(await self._redis.get(self._keys.user_choice(user_id, gen_type)))
        if raw is None:
            return None
        data = json.loads(raw)
        return Choice(str(data["model"]), dict(data.get("settings") or {}))

    async def remember(self, user_id: int, gen_type: str, choice: Choice) -> None:
        """Remember the model and settings of a run, so the type starts with them next time."""
        data = json.dumps({"model": choice.model_id, "settings": choice.settings})
        await self._redis.set(self._keys.user_choice(user_id, gen_type), data, ex=CHOICE_TTL_SECONDS)

    async def photo(self, user_id: int) -> tuple[str, str | None] | None:
        """The picture the user last sent outside a picture step: its URL and caption."""
        raw = _text(await self._redis.get(self._keys.user_photo(user_id)))
        if raw is None:
            return None
        data = json.loads(raw)
        return str(data["url"]), data.get("caption")

    async def set_photo(self, user_id: int, url: str, caption: str | None) -> None:
        """Keep a picture sent outside a picture step until the user says what to do with it."""
        data = json.dumps({"url": url, "caption": caption})
        await self._redis.set(self._keys.user_photo(user_id), data, ex=DRAFT_TTL_SECONDS)

    async def draft(self, user_id: int) -> str | None:
        """The text the user last typed at the menu."""
        return _text(await self._redis.get(self._keys.user_draft(user_id)))

    async def set_draft(self, user_id: int, text: str | None) -> None:
        """Keep (or, with None, forget) text typed at the menu."""
        if text is None:
            await self._redis.delete(self._keys.user_draft(user_id))
        else:
            await self._redis.set(self._keys.user_draft(user_id), text, ex=DRAFT_TTL_SECONDS)
