"""Wiring: one router for every button (each press answered, stale ones said so) and the commands."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType

import structlog
from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from services.bot.handlers import (
    account,
    commands,
    follow_up,
    inline,
    inputs,
    navigation,
    photo,
    quick,
    wizard,
)
from services.bot.handlers.deps import BotDeps
from services.bot.handlers.turn import Stale, Turn, begin_turn
from services.bot.views.menu import main_menu
from shared.chat.callbacks import Callback, Op, decode

__all__ = ["BOT_COMMANDS", "register"]

log = structlog.get_logger()

Route = Callable[[Turn, Callback], Awaitable[str | None]]

_ROUTES: Mapping[Op, Route] = MappingProxyType(
    {
        Op.MENU: navigation.on_menu,
        Op.TYPE: navigation.on_type,
        Op.MODEL: navigation.on_model,
        Op.HELP: navigation.on_help,
        Op.SETTINGS: navigation.on_settings,
        Op.LANGUAGE: navigation.on_language,
        Op.USE: quick.on_use,
        Op.DRAFT: quick.on_draft,
        Op.PHOTO: photo.on_photo,
        Op.STEP: wizard.on_step,
        Op.CONFIRM: wizard.on_confirm,
        Op.BALANCE: account.on_balance,
        Op.HISTORY: account.on_history,
        Op.JOB: account.on_job,
        Op.FOLLOW: follow_up.on_follow,
    }
)

BOT_COMMANDS = (
    "start",
    "buy",
    "balance",
    "history",
    "invite",
    "promo",
    "support",
    "terms",
    "settings",
    "cancel",
    "help",
)
"""Commands of the bot's menu (see services.bot.profile), in order; descriptions come from the catalogs."""


async def _stale(turn: Turn, key: str) -> None:
    await turn.answer(turn.t("stale_toast"))
    await turn.send(main_menu(turn.deps.texts, turn.registry, turn.language, turn.t(key)))


class _Router:
    """Turns each update into a Turn and runs the matching handler."""

    def __init__(self, deps: BotDeps) -> None:
        self._deps = deps

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Every press is answered: with the handler's notice, as stale, or (on failure) as an error."""
        turn = await begin_turn(self._deps, update, context.bot)
        if turn is None or turn.query is None:
            return
        callback = decode(turn.query.data)
        route = _ROUTES.get(callback.op) if callback is not None else None
        if route is None or callback is None:
            log.info("button_unknown")
            await _stale(turn, "stale_message")
            return
        try:
            notice = await route(turn, callback)
        except Stale as exc:
            log.info("button_stale", op=callback.op.value)
            await _stale(turn, exc.key)
            return
        except Exception:
            await turn.answer(turn.t("error_generic"))
            raise
        await turn.answer(notice)

    async def inline_query(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """``@bot <prompt>`` typed in any chat."""
        if update.inline_query is not None:
            await inline.on_inline_query(self._deps, update.inline_query)

    async def inline_press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button on a message sent via the bot (no chat of ours: it carries an inline_message_id)."""
        if update.callback_query is not None:
            await inline.on_inline_press(self._deps, update.callback_query, context.bot)

    async def message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Texts and files: into the wizard, or help."""
        turn = await begin_turn(self._deps, update, context.bot)
        if turn is not None:
            await inputs.on_message(turn)

    async def command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The bot's commands."""
        turn = await begin_turn(self._deps, update, context.bot)
        if turn is None or turn.message is None or turn.message.text is None:
            return
        name, _, payload = turn.message.text.partition(" ")
        name = name.lstrip("/").split("@")[0].lower()
        if name == "start":
            await commands.on_start(turn, payload.strip() or None)
        elif name == "cancel":
            await commands.on_cancel(turn)
        elif name == "balance":
            await account.send_balance(turn)
        elif name == "history":
            await account.send_history(turn)
        elif name == "settings":
            await commands.on_settings(turn)
        elif name == "menu":
            await commands.on_menu(turn)
        else:
            await commands.on_help(turn)


def register(application: Application, deps: BotDeps) -> None:  # type: ignore[type-arg]
    """Add the bot's handlers to ``application``."""
    router = _Router(deps)
    application.add_handler(MessageHandler(filters.COMMAND, router.command))
    application.add_handler(InlineQueryHandler(router.inline_query))
    application.add_handler(CallbackQueryHandler(router.inline_press, pattern=f"^{Op.INLINE.value}:"))
    application.add_handler(CallbackQueryHandler(router.button))
    media = (
        filters.TEXT | filters.PHOTO | filters.Document.ALL | filters.VIDEO | filters.AUDIO | filters.VOICE
    )
    # A message the user sent via the bot (an inline offer) is not something typed to the bot.
    application.add_handler(MessageHandler(media & ~filters.COMMAND & ~filters.VIA_BOT, router.message))
