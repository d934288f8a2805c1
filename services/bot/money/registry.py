"""Wiring of the money layer onto the PTB Application, ahead of the wizard's own handlers.

Handler groups run in order: the gate (bans, rate limits) first, then these handlers, then the
wizard's router (group 0). A command handled here stops there; an admin command from anyone not in
ADMIN_IDS is left alone, so the router answers it like any unknown command, with the help text.
``/start`` passes through after its referral payload is noted, so the usual welcome follows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType

import structlog
from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    PreCheckoutQueryHandler,
    TypeHandler,
    filters,
)

from services.bot.handlers import commands
from services.bot.handlers.admin import ADMIN_COMMANDS, run_admin
from services.bot.handlers.deps import BotDeps
from services.bot.handlers.gate import Gate
from services.bot.handlers.turn import Stale, Turn, begin_turn
from services.bot.money import payments, referrals, support
from services.bot.money.deps import MoneyDeps
from services.bot.views.inline import BUY_START
from shared.chat.callbacks import Op, decode
from shared.money import Topic

__all__ = ["GATE_GROUP", "MONEY_GROUP", "USER_COMMANDS", "register_money"]

log = structlog.get_logger()

GATE_GROUP = -2
MONEY_GROUP = -1

UserCommand = Callable[[Turn, MoneyDeps, str], Awaitable[None]]


async def _buy(turn: Turn, money: MoneyDeps, argument: str) -> None:
    await payments.send_packs(turn, money)


async def _paysupport(turn: Turn, money: MoneyDeps, argument: str) -> None:
    await support.on_support(turn, money, argument, Topic.PAYMENT)


async def _support(turn: Turn, money: MoneyDeps, argument: str) -> None:
    await support.on_support(turn, money, argument, Topic.GENERAL)


async def _terms(turn: Turn, money: MoneyDeps, argument: str) -> None:
    await payments.send_terms(turn)


async def _invite(turn: Turn, money: MoneyDeps, argument: str) -> None:
    await referrals.send_invite(turn, money)


USER_COMMANDS: Mapping[str, UserCommand] = MappingProxyType(
    {
        "buy": _buy,
        "paysupport": _paysupport,
        "support": _support,
        "terms": _terms,
        "invite": _invite,
        "promo": referrals.on_promo,
    }
)


def _command(text: str, bot_username: str | None) -> tuple[str, str] | None:
    """The command's name and argument; None when it is addressed to another bot (``/grant@Other``)."""
    head, _, argument = text.partition(" ")
    name, _, addressee = head.lstrip("/").partition("@")
    if addressee and addressee.lower() != (bot_username or "").lower():
        return None
    return name.lower(), argument.strip()


class _MoneyRouter:
    """Routes commands, pack buttons and payment updates to the money handlers."""

    def __init__(self, deps: BotDeps, money: MoneyDeps) -> None:
        self._deps = deps
        self._money = money

    async def command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Money and admin commands; anything else goes on to the wizard's router."""
        turn = await begin_turn(self._deps, update, context.bot)
        if turn is None or turn.message is None or turn.message.text is None:
            return
        command = _command(turn.message.text, context.bot.username)
        if command is None:  # for another bot in this chat: not ours to run, nor to answer
            log.info("command_for_another_bot")
            raise ApplicationHandlerStop
        name, argument = command
        if name == "start":
            await referrals.note_referral(turn, self._money, argument or None)
            if argument == BUY_START:  # the Buy credits link of an inline message short of credits
                await commands.on_start(turn, None)
                await payments.send_packs(turn, self._money)
                raise ApplicationHandlerStop
            return
        if name in ADMIN_COMMANDS and self._money.is_admin(turn.user_id):
            await run_admin(turn, self._money, name, argument.split())
            raise ApplicationHandlerStop
        handler = USER_COMMANDS.get(name)
        if handler is not None:
            await handler(turn, self._money, argument)
            raise ApplicationHandlerStop

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A pack button: its invoice; the press is always answered."""
        turn = await begin_turn(self._deps, update, context.bot)
        callback = decode(update.callback_query.data if update.callback_query else None)
        if turn is None or callback is None or callback.op is not Op.BUY:
            return
        try:
            notice = await payments.on_buy(turn, self._money, callback)
        except Stale:
            notice = turn.t("stale_toast")
        except Exception:
            await turn.answer(turn.t("error_generic"))
            raise
        await turn.answer(notice)
        raise ApplicationHandlerStop

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An admin's reply to a relayed support message, or the text a user was asked for by /support."""
        turn = await begin_turn(self._deps, update, context.bot)
        message = update.message
        if turn is None or message is None or not message.text:
            return
        if await support.on_admin_reply(turn, self._money, message):
            raise ApplicationHandlerStop
        if await support.on_waiting_text(turn, self._money, message.text):
            raise ApplicationHandlerStop

    async def checkout(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A pre_checkout_query: checked and answered at once."""
        if update.pre_checkout_query is not None:
            await payments.answer_checkout(self._deps, self._money, update.pre_checkout_query)
        raise ApplicationHandlerStop

    async def paid(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A successful_payment message: credited once, with a receipt."""
        turn = await begin_turn(self._deps, update, context.bot)
        payment = update.message.successful_payment if update.message else None
        if turn is not None and payment is not None:
            await payments.on_paid(turn, self._money, payment)
        raise ApplicationHandlerStop


def register_money(application: Application, deps: BotDeps, money: MoneyDeps) -> None:  # type: ignore[type-arg]
    """Add the gate and the money handlers to ``application`` (before the wizard's, by group)."""
    router = _MoneyRouter(deps, money)
    application.add_handler(TypeHandler(Update, Gate(deps, money)), group=GATE_GROUP)
    application.add_handler(MessageHandler(filters.COMMAND, router.command), group=MONEY_GROUP)
    application.add_handler(
        CallbackQueryHandler(router.button, pattern=f"^{Op.BUY.value}:"), group=MONEY_GROUP
    )
    application.add_handler(PreCheckoutQueryHandler(router.checkout), group=MONEY_GROUP)
    text = filters.TEXT & ~filters.COMMAND & ~filters.VIA_BOT  # an inline offer is not typed to the bot
    application.add_handler(MessageHandler(text, router.text), group=MONEY_GROUP)
    application.add_handler(MessageHandler(filters.SUCCESSFUL_PAYMENT, router.paid), group=MONEY_GROUP)
