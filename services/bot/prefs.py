"""Per-user preferences the bot keeps in Redis: the chosen language."""

from __future__ import annotations

import redis.asyncio as aioredis

from services.bot.texts import Language
from shared.keys import Keys

__all__ = ["Preferences"]


class Preferences:
    """A user's chosen language, falling back to their Telegram client's language."""

    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def language(self, user_id: int, language_code: str | None) -> Language:
        """The language to answer this user in."""
        raw = await self._redis.get(self._keys.user_language(user_id))
        chosen = Language.parse(raw.decode() if isinstance(raw, bytes) else raw)
        return chosen or Language.of(language_code)

    async def set_language(self, user_id: int, language: Language) -> None:
        """Remember the language the user chose in /settings."""
        await self._redis.set(self._keys.user_language(user_id), language.value)
