"""The gate every update passes first: banned users and users over a rate limit stop here.

A banned user gets one polite line (at most once per window; a button press gets it as its answer)
and nothing else. A user over the message or button allowance is asked to slow down, once per
window. Payments are never stopped: a checkout is judged by the payment handler (which refuses banned
users politely), and a completed payment is always credited. Admins are never limited.
"""

from __future__ import annotations

import structlog
from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from services.bot.handlers.deps import BotDeps
from services.bot.money.deps import MoneyDeps
from services.bot.ratelimit import RateKind

__all__ = ["Gate"]

log = structlog.get_logger()


def _is_payment(update: Update) -> bool:
    message = update.message
    return update.pre_checkout_query is not None or (
        message is not None and message.successful_payment is not None
    )


class Gate:
    """A PTB handler callback for the first handler group."""

    def __init__(self, deps: BotDeps, money: MoneyDeps) -> None:
        self._deps = deps
        self._money = money

    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stop the update (ApplicationHandlerStop) when its user is banned or over a limit."""
        user = update.effective_user
        if user is None or _is_payment(update) or self._money.is_admin(user.id):
            return
        if await self._money.accounts.is_banned(user.id):
            log.info("update_from_banned_user")
            await self._tell(update, "banned", "money_banned", self._money.ban_notice_seconds)
            raise ApplicationHandlerStop
        if update.inline_query is not None:  # one per keystroke, and answering costs nothing
            return
        kind = RateKind.BUTTON if update.callback_query is not None else RateKind.MESSAGE
        if not await self._money.limiter.allow(user.id, kind, update.update_id):
            log.info("rate_limited", kind=kind.value)
            await self._tell(update, "slow", "money_slow_down", self._money.slow_down_notice_seconds)
            raise ApplicationHandlerStop

    async def _tell(self, update: Update, notice: str, key: str, seconds: float) -> None:
        user = update.effective_user
        assert user is not None
        language = await self._deps.prefs.language(user.id, user.language_code)
        text = self._deps.texts.get(key, language)
        if update.callback_query is not None:
            await update.callback_query.answer(text)
            return
        chat = update.effective_chat
        if chat is not None and await self._money.limiter.first_notice(notice, user.id, seconds):
            await chat.send_message(text)
