"""Per-user preferences: the chosen language, read from Redis on every update.

The choice is also written to the user's row, so messages the `jobs` program sends (results,
failures) use it too.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from psycopg_pool import AsyncConnectionPool

from shared.chat.texts import Language
from shared.keys import Keys

__all__ = ["Preferences"]


_SET_LANGUAGE = "UPDATE users SET language = %s WHERE id = %s"


class Preferences:
    """A user's chosen language, falling back to their Telegram client's language."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, pool: AsyncConnectionPool[Any]) -> None:
        self._redis = redis
        self._keys = keys
        self._pool = pool

    async def language(self, user_id: int, language_code: str | None) -> Language:
        """The language to answer this user in."""
        raw = await self._redis.get(self._keys.user_language(user_id))
        chosen = Language.parse(raw.decode() if isinstance(raw, bytes) else raw)
        return chosen or Language.of(language_code)

    async def set_language(self, user_id: int, language: Language) -> None:
        """Remember the language the user chose in /settings."""
        async with self._pool.connection() as conn:
            await conn.execute(_SET_LANGUAGE, (language.value, user_id))
        await self._redis.set(self._keys.user_language(user_id), language.value)
