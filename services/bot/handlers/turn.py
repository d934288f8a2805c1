"""One update as the handlers see it: who, where, in which language, and how to show a screen."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from telegram import Bot, CallbackQuery, Message, Update
from telegram.error import BadRequest

from services.bot.handlers.deps import BotDeps
from services.bot.telegram_errors import is_not_modified, is_query_too_old
from services.bot.views import Screen
from shared.catalog import Registry
from shared.chat.texts import Language
from shared.errors import TrtError

__all__ = ["Stale", "Turn", "begin_turn"]

log = structlog.get_logger()


class Stale(TrtError):
    """The pressed button no longer matches anything; ``key`` names the message to show."""

    def __init__(self, key: str = "stale_message") -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True, slots=True)
class Turn:
    """The context of handling one update."""

    deps: BotDeps
    bot: Bot
    update_id: int
    user_id: int
    chat_id: int
    first_name: str
    language: Language
    registry: Registry
    query: CallbackQuery | None
    message: Message | None

    def t(self, key: str, **values: object) -> str:
        """A catalog message in this user's language."""
        return self.deps.texts.get(key, self.language, **values)

    async def send(self, screen: Screen) -> Message:
        """Post ``screen`` as a new message in this chat."""
        return await self.bot.send_message(self.chat_id, screen.text, reply_markup=screen.markup())

    async def reply(self, screen: Screen) -> Message:
        """Post ``screen`` quoting the user's message, when the update carries one."""
        if self.message is None:
            return await self.send(screen)
        return await self.message.reply_text(screen.text, reply_markup=screen.markup(), do_quote=True)

    async def show(self, screen: Screen) -> None:
        """Replace the pressed button's message with ``screen`` (or post it when there is none)."""
        target = self.query.message if self.query is not None else None
        if target is None or not isinstance(target, Message):
            await self.send(screen)
            return
        try:
            await self.bot.edit_message_text(
                screen.text, chat_id=self.chat_id, message_id=target.message_id, reply_markup=screen.markup()
            )
        except BadRequest as exc:
            if not is_not_modified(exc):
                raise

    async def drop_buttons(self) -> None:
        """Remove the keyboard of the pressed button's message (a screen that is done)."""
        target = self.query.message if self.query is not None else None
        if isinstance(target, Message) and target.reply_markup is not None:
            await self.bot.edit_message_reply_markup(self.chat_id, target.message_id, reply_markup=None)

    async def answer(self, notice: str | None = None) -> None:
        """Answer the button press (every press is answered, at most once per handling)."""
        if self.query is None:
            return
        try:
            await self.query.answer(notice)
        except BadRequest as exc:
            if not is_query_too_old(exc):
                raise
            log.info("callback_answer_skipped", reason=exc.message)


async def begin_turn(deps: BotDeps, update: Update, bot: Bot) -> Turn | None:
    """The turn of ``update``; None for updates without a user and chat (channel posts and such)."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    language = await deps.prefs.language(user.id, user.language_code)
    return Turn(
        deps=deps,
        bot=bot,
        update_id=update.update_id,
        user_id=user.id,
        chat_id=chat.id,
        first_name=user.first_name,
        language=language,
        registry=deps.catalog.current(),
        query=update.callback_query,
        message=update.message,
    )
