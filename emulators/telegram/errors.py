"""Errors of the Bot API emulator.

EmulatorError                 misuse of the simulation API (control side), never seen by the bot
BotApiError                   a Bot API answer with ok=false, carried as data
├── BadRequest (400)          "Bad Request: ..."
├── Unauthorized (401)
├── Forbidden (403)
├── NotFound (404)
├── Conflict (409)
├── EntityTooLarge (413)       only injected
├── TooManyRequests (429)     carries retry_after
└── InternalError (500)
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BadRequest",
    "BotApiError",
    "Conflict",
    "EmulatorError",
    "EntityTooLarge",
    "Forbidden",
    "InternalError",
    "NotFound",
    "TooManyRequests",
    "Unauthorized",
]


class EmulatorError(Exception):
    """A simulated user action or control call that cannot be carried out."""


class BotApiError(Exception):
    """A failed Bot API call, rendered as Telegram's `{"ok": false, ...}` envelope."""

    status = 400
    prefix = ""

    def __init__(self, detail: str = "", *, parameters: dict[str, Any] | None = None) -> None:
        self.description = f"{self.prefix}: {detail}" if self.prefix and detail else (detail or self.prefix)
        self.parameters = parameters
        super().__init__(self.description)

    def envelope(self) -> dict[str, Any]:
        """Return the JSON body Telegram answers for this error."""
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class BadRequest(BotApiError):
    """400: the request is malformed or refers to something that does not exist."""

    status = 400
    prefix = "Bad Request"


class Unauthorized(BotApiError):
    """401: the token is unknown."""

    status = 401
    prefix = "Unauthorized"


class Forbidden(BotApiError):
    """403: the bot may not act in that chat."""

    status = 403
    prefix = "Forbidden"


class NotFound(BotApiError):
    """404: unknown method or file."""

    status = 404
    prefix = "Not Found"


class Conflict(BotApiError):
    """409: getUpdates collides with another poller or an active webhook."""

    status = 409
    prefix = "Conflict"


class EntityTooLarge(BotApiError):
    """413: the uploaded file is over the Bot API's limit (only ever injected)."""

    status = 413
    prefix = "Request Entity Too Large"


class TooManyRequests(BotApiError):
    """429: flood control; the bot must wait `retry_after` seconds."""

    status = 429
    prefix = "Too Many Requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after}", parameters={"retry_after": retry_after})
        self.retry_after = retry_after


class InternalError(BotApiError):
    """500: the server failed (only ever injected)."""

    status = 500
    prefix = "Internal Server Error"
