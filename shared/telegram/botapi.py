"""A minimal Bot API client for the few raw calls made outside PTB (webhook registration, polling).

It returns Telegram's ``result`` as plain JSON, which is what the inbox stores, and raises
:class:`BotApiError` carrying Telegram's error code, description and ``retry_after``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from shared.aio import raise_if_cancelling
from shared.errors import TrtError

if TYPE_CHECKING:
    import aiohttp

__all__ = ["BotApi", "BotApiError"]


class BotApiError(TrtError):
    """Telegram answered ``ok: false`` (or not at all); the token is never part of the message."""

    def __init__(self, method: str, code: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(f"{method}: {code} {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after


class BotApi:
    """Bot API calls over ``session``, or over the session ``session()`` returns when the first call is
    made (a process that may never call Telegram then never loads aiohttp)."""

    def __init__(
        self,
        session: aiohttp.ClientSession | Callable[[], aiohttp.ClientSession],
        base_url: str,
        token: str,
    ) -> None:
        self._session = session
        self._base = f"{base_url}/bot{token}"

    async def call(self, method: str, params: dict[str, Any] | None = None, *, seconds: float = 10.0) -> Any:
        """POST ``params`` as JSON to ``method``; return the result or raise BotApiError."""
        import aiohttp

        session = self._session if isinstance(self._session, aiohttp.ClientSession) else self._session()
        try:
            async with session.post(
                f"{self._base}/{method}", json=params or {}, timeout=aiohttp.ClientTimeout(total=seconds)
            ) as response:
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise_if_cancelling()  # a library may turn our task's cancellation into an error
            raise BotApiError(method, 0, type(exc).__name__) from None
        if not isinstance(body, dict) or not body.get("ok"):
            body = body if isinstance(body, dict) else {}
            retry_after = (body.get("parameters") or {}).get("retry_after")
            raise BotApiError(
                method, int(body.get("error_code", 0)), str(body.get("description", "")), retry_after
            )
        return body["result"]
