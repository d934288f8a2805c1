"""The bot's handlers: the first conversation steps, registered on a PTB Application."""

from __future__ import annotations

import structlog
from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from services.bot.messages import Language, text

__all__ = ["answer_callback", "register"]

log = structlog.get_logger()

_PREVIEW_CHARS = 60


def _language(update: Update) -> Language:
    user = update.effective_user
    return Language.of(user.language_code if user else None)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the user in their language."""
    assert update.effective_message is not None
    language = _language(update)
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(text("button_ping", language), callback_data="ping")]]
    )
    await update.effective_message.reply_text(text("welcome", language), reply_markup=keyboard)


async def free_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Text outside any flow: answer with help, quoting what was received."""
    message = update.effective_message
    assert message is not None and message.text is not None
    preview = message.text[:_PREVIEW_CHARS]
    await message.reply_text(text("help", _language(update), preview=preview), do_quote=True)


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every button press is answered, then confirmed in the chat."""
    query = update.callback_query
    assert query is not None
    language = _language(update)
    await answer_callback(query, text("button_ack", language))
    if query.message is not None:
        await context.bot.send_message(
            query.message.chat.id, text("button_pressed", language, choice=(query.data or "")[:64])
        )


async def answer_callback(query: CallbackQuery, notice: str) -> None:
    """Answer a button press. A press already answered (a re-handled update) or expired needs nothing."""
    try:
        await query.answer(notice)
    except BadRequest as exc:
        if "query is too old" not in exc.message.lower():
            raise
        log.info("callback_answer_skipped", reason=exc.message)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("start", start))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, free_text))
    application.add_handler(CallbackQueryHandler(button))
