"""Recognising the Bot API's harmless refusals by their description text."""

from __future__ import annotations

from telegram.error import BadRequest

__all__ = ["is_not_modified", "is_query_too_old"]

_NOT_MODIFIED = "message is not modified"
_TOO_OLD = "query is too old"


def is_not_modified(exc: BadRequest) -> bool:
    """An edit that would not change the message (a repeated press): nothing to do."""
    return _NOT_MODIFIED in exc.message.lower()


def is_query_too_old(exc: BadRequest) -> bool:
    """A button press answered too late (or already answered by an earlier run of the update)."""
    return _TOO_OLD in exc.message.lower()
