"""The side panel's facts: a user's balance from the ledger and the programs' state from /health."""

from __future__ import annotations

from typing import Any

import aiohttp
from psycopg import Error as PsycopgError
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from shared.ledger import Ledger

__all__ = ["StatusReader"]

HEALTH_TIMEOUT_SECONDS = 2.0


class StatusReader:
    """Reads what the page's side panel shows; each part degrades to an error text, never raises."""

    def __init__(self, pool: AsyncConnectionPool, http: aiohttp.ClientSession, health_url: str) -> None:
        self._ledger = Ledger(pool)
        self._http = http
        self._health_url = health_url

    async def balance(self, user_id: int) -> int | None:
        """The credits the user can spend now, or None when PostgreSQL cannot be read."""
        try:
            return await self._ledger.balance(user_id)
        except (PsycopgError, PoolTimeout, OSError):
            return None

    async def health(self) -> dict[str, Any]:
        """The webhook's /health body, or {"error": ...} when it does not answer."""
        timeout = aiohttp.ClientTimeout(total=HEALTH_TIMEOUT_SECONDS)
        try:
            async with self._http.get(self._health_url, timeout=timeout) as response:
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            return {"error": f"webhook /health does not answer ({type(exc).__name__})"}
        return body if isinstance(body, dict) else {"error": "webhook /health answered no object"}

    async def snapshot(self, user_id: int) -> dict[str, Any]:
        """Balance and health together."""
        return {"balance": await self.balance(user_id), "health": await self.health()}
