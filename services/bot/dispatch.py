"""Hands one inbox entry to the PTB Application and reports whether its handlers succeeded.

PTB catches handler exceptions and routes them to error handlers; the consumer needs them back to
retry or dead-letter the entry. An error handler collects them into a per-update context variable.
"""

from __future__ import annotations

import contextvars

from telegram import Update
from telegram.ext import Application, ContextTypes

from shared.errors import TrtError
from shared.inbox import InboxEntry
from shared.telegram.journal import journal_scope

__all__ = ["HandlerFailed", "UpdateDispatcher"]

_errors: contextvars.ContextVar[list[BaseException]] = contextvars.ContextVar("handler_errors")


class HandlerFailed(TrtError):
    """A handler raised while processing an update; the original error is the cause."""


async def _collect_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    if context.error is not None:
        _errors.get([]).append(context.error)


class UpdateDispatcher:
    """Callable the inbox consumer awaits for each entry."""

    def __init__(self, application: Application) -> None:  # type: ignore[type-arg]
        self._application = application
        application.add_error_handler(_collect_error, block=True)

    async def __call__(self, entry: InboxEntry) -> None:
        errors: list[BaseException] = []
        token = _errors.set(errors)
        try:
            update = Update.de_json(entry.update, self._application.bot)
            with journal_scope(entry.update_id):
                await self._application.process_update(update)
        finally:
            _errors.reset(token)
        if errors:
            raise HandlerFailed(f"update {entry.update_id}: {type(errors[0]).__name__}") from errors[0]
