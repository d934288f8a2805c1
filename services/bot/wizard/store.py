"""Wizard state in Redis, so a worker killed mid-wizard loses nothing and any worker can go on.

Re-handling an update must see the state that update first saw (the Telegram journal then replays
the same calls). Each save therefore keeps the state from before the update along with the update's
id: loading for that same update returns the earlier state, any later update gets the new one.
"""

from __future__ import annotations

import json
from typing import Any

import redis.asyncio as aioredis

from services.bot.wizard.state import WizardState
from shared.keys import Keys

__all__ = ["WizardStore"]

WIZARD_TTL_SECONDS = 7 * 24 * 3600
"""A wizard left alone for a week is forgotten; its buttons then answer as stale."""


def _dump(state: WizardState | None) -> dict[str, Any] | None:
    return None if state is None else state.to_json()


def _load(data: dict[str, Any] | None) -> WizardState | None:
    return None if data is None else WizardState.from_json(data)


class WizardStore:
    """Loads and saves one wizard per user, replay-safe per update."""

    def __init__(self, redis: aioredis.Redis, keys: Keys, ttl_seconds: int = WIZARD_TTL_SECONDS) -> None:
        self._redis = redis
        self._keys = keys
        self._ttl = ttl_seconds

    async def _record(self, user_id: int) -> dict[str, Any] | None:
        raw = await self._redis.get(self._keys.wizard(user_id))
        return None if raw is None else dict(json.loads(raw))

    async def load(self, user_id: int, update_id: int) -> WizardState | None:
        """The user's wizard as it stood before ``update_id`` was handled (None: no wizard)."""
        record = await self._record(user_id)
        if record is None:
            return None
        if record.get("update") == update_id:
            return _load(record.get("before"))
        return _load(record.get("after"))

    async def save(
        self, user_id: int, update_id: int, before: WizardState | None, after: WizardState | None
    ) -> None:
        """Store ``after`` as the user's wizard, remembering ``before`` for a re-run of ``update_id``."""
        record = {"update": update_id, "before": _dump(before), "after": _dump(after)}
        await self._redis.set(self._keys.wizard(user_id), json.dumps(record), ex=self._ttl)
