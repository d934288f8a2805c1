"""Admin commands (ADMIN_IDS only; the registry never routes them for anyone else).

/admin, /user <id>, /grant <id> <amount> <reason>, /take <id> <amount> <reason>, /ban <id>,
/unban <id>, /refund <charge_id>, /broadcast <text>, /promo_new CODE CREDITS USES DAYS, /close <ticket>,
/money [days] (the money report: what users paid against what KIE consumed, the flagged jobs).
Credit changes are keyed by the update (``admin:<update_id>``), so a re-handled command applies once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType

import structlog
from telegram.error import BadRequest, TelegramError

from services.bot.handlers.turn import Turn
from services.bot.money.deps import MoneyDeps
from services.bot.money.support import open_tickets_text
from services.bot.money.views import MONEY_FLAGS_SHOWN, dashboard_screen, money_report_screen, user_screen
from services.bot.views import Screen
from shared.errors import TrtError
from shared.kie.balance import read_balance
from shared.ledger import InsufficientCredits, MovementKind, UnknownUser
from shared.money import (
    PaymentNotFound,
    PromoExists,
    RefundAnswer,
    RefundBlock,
    RefundRefused,
    normalise_code,
)
from shared.ops.money_report import collect

__all__ = ["ADMIN_COMMANDS", "run_admin"]

log = structlog.get_logger()

AdminCommand = Callable[[Turn, MoneyDeps, list[str]], Awaitable[None]]
LEDGER_SHOWN = 15
MONEY_REPORT_DAYS = 30


class _Usage(TrtError):
    """The command's arguments are wrong; the admin gets its usage line."""


def _int(text: str) -> int:
    if not text.lstrip("-").isdigit():
        raise _Usage
    return int(text)


async def _say(turn: Turn, key: str, **values: object) -> None:
    await turn.send(Screen(turn.t(key, **values)))


async def _dashboard(turn: Turn, money: MoneyDeps, args: list[str]) -> None:
    board = await money.accounts.dashboard()
    reading = await read_balance(money.redis, money.keys, time.time())
    kie = None if reading is None else f"{reading.credits:g}"
    screen = dashboard_screen(turn.deps.texts, turn.language, board, kie)
    tickets = await open_tickets_text(turn, money)
    await turn.send(Screen(f"{screen.text}\n\n{tickets}") if tickets else screen)


async def _money_report(turn: Turn, money: MoneyDeps, args: list[str]) -> None:
    if len(args) > 1:
        raise _Usage
    days = _int(args[0]) if args else MONEY_REPORT_DAYS
    if not 1 <= days <= 366:
        raise _Usage
    report = await asyncio.to_thread(collect, money.database_url, days, MONEY_FLAGS_SHOWN)
    await turn.send(money_report_screen(turn.deps.texts, turn.language, report, days))


async def _close(turn: Turn, money: MoneyDeps, args: list[str]) -> None:
    if len(args) != 1:
        raise _Usage
    ticket = _int(args[0].lstrip("#"))
    closed = await money.support.close(ticket, turn.user_id)
    await _say(turn, "support_closed" if closed else "support_not_open", ticket=ticket)


async def _user(turn: Turn, money: MoneyDeps, args: list[str]) -> None:
    user_id = _int(args[0]) if len(args) == 1 else None
    if user_id is None:
        raise _Usage
    card = await money.accounts.card(user_id)
    if card is None:
        await _say(turn, "admin_unknown_user", id=user_id)
        return
    movements = await turn.deps.ledger.movements(user_id, limit=LEDGER_SHOWN)
    await turn.send(user_screen(turn.deps.texts, turn.language, card, movements))


async def _change(turn: Turn, money: MoneyDeps, args: list[str], sign: int) -> None:
    if len(args) < 3:
        raise _Usage
    user_id, amount, reason = _int(args[0]), _int(args[1]), " ".join(args[2:])
    if amount <= 0:
        raise _Usage
    try:
        recorded = await turn.deps.ledger.grant(
            user_id,
            sign * amount,
            MovementKind.ADMIN,
            f"admin {turn.user_id}: {reason}",
            key=f"admin:{turn.update_id}",
        )
    except UnknownUser:
        await _say(turn, "admin_unknown_user", id=user_id)
        return
    except InsufficientCredits as exc:
        await _say(turn, "admin_take_too_much", id=user_id, balance=exc.balance, amount=amount)
        return
    log.info("admin_credit_change", target=user_id, amount=sign * amount)
    await _say(
        turn,
        "admin_changed",
        id=user_id,
        amount=f"{sign * amount:+d}",
        balance=recorded.movement.balance_after,
    )


async def _grant(turn: Turn, money: MoneyDeps, args: list[str]) -> None:
    await _change(turn, money, args, +1)


async def _take(turn: Turn, money: MoneyDeps, args: list[str]) -> None:
    await _change(turn, money, args, -1)


async def _set_ban(turn: Turn, money: MoneyDeps, args: list[str], banned: bool) -> None:
    if len(args) != 1:
        raise _Usage
    user_id = _int(args[0])
    if not await money.accounts.set_banned(user_id, banned):
        await _say(turn, "admin_unknown_user", id=user_id)
        return
    log.info("admin_ban" if banned else "admin_unban", target=user_id)
    await _say(turn, "admin_banned_done" if banned else "admin_unbanned_done", id=user_id)


async def _ban(turn: Turn, money: MoneyDeps, args: list[str]) -> None:
    await _set_ban(turn, money, args, True)


async def _unban(turn: Turn, money: MoneyDeps, args: list[str]) -> None:
    await _set_ban(turn, money, args, False)


async def _refund(turn: Turn, money: MoneyDeps, args: list[str]) -> None:
    if len(args) != 1:
        raise _Usage
    refused: list[str] = []

    async def refund_stars(user_id: int, charge_id: str) -> RefundAnswer:
        return await _ask_telegram(turn, user_id, charge_id, refused)

    try:
        payment = await money.refunds.refund(args[0], turn.user_id, refund_stars)
    except PaymentNotFound:
        await _say(turn, "admin_refund_unknown", charge=args[0])
    except RefundRefused as exc:
        await _refund_refused(turn, exc, refused)
    else:
        log.info("admin_refund", target=payment.user_id, stars=payment.stars)
        await _say(
            turn,
            "admin_refund_done",
            charge=args[0],
            id=payment.user_id,
            credits=payment.pack_credits,
            stars=payment.stars,
        )


async def _ask_telegram(turn: Turn, user_id: int, charge_id: str, refused: list[str]) -> RefundAnswer:
    """refundStarPayment, its answer classified; CHARGE_ALREADY_REFUNDED means an earlier call worked."""
    try:
        await turn.bot.refund_star_payment(user_id, charge_id)
    except BadRequest as exc:
        if "CHARGE_ALREADY_REFUNDED" in exc.message.upper():
            return RefundAnswer.DONE
        refused.append(exc.message)
        return RefundAnswer.REFUSED
    except TelegramError as exc:
        log.warning("admin_refund_unanswered", error=type(exc).__name__)
        return RefundAnswer.UNKNOWN
    return RefundAnswer.DONE


async def _refund_refused(turn: Turn, exc: RefundRefused, refused: list[str]) -> None:
    charge = exc.charge_id
    if exc.block is RefundBlock.CREDITS_SPENT:
        await _say(turn, "admin_refund_spent", charge=charge, balance=exc.balance, credits=exc.credits)
    elif exc.block is RefundBlock.TELEGRAM_REFUSED:
        await _say(turn, "admin_refund_telegram", charge=charge, error=", ".join(refused) or "refused")
    elif exc.block is RefundBlock.PENDING:
        await _say(turn, "admin_refund_pending", charge=charge)
    else:
        await _say(turn, "admin_refund_already", charge=charge)


async def _broadcast(turn: Turn, money: MoneyDeps, args: list[str]) -> None:
    text = turn.message.text.partition(" ")[2].strip() if turn.message and turn.message.text else ""
    if not text:
        raise _Usage
    broadcast_id, recipients = await money.broadcasts.create(turn.user_id, text, turn.update_id)
    log.info("broadcast_created", broadcast=broadcast_id, recipients=recipients)
    await _say(turn, "admin_broadcast_started", id=broadcast_id, recipients=recipients)


async def _promo_new(turn: Turn, money: MoneyDeps, args: list[str]) -> None:
    code = normalise_code(args[0]) if len(args) == 4 else None
    if code is None:
        raise _Usage
    credits, uses, days = _int(args[1]), _int(args[2]), _int(args[3])
    if min(credits, uses, days) <= 0:
        raise _Usage
    try:
        await money.promos.create(code, credits, uses, days, turn.user_id)
    except PromoExists:
        await _say(turn, "admin_promo_exists", code=code)
        return
    await _say(turn, "admin_promo_created", code=code, credits=credits, uses=uses, days=days)


ADMIN_COMMANDS: Mapping[str, AdminCommand] = MappingProxyType(
    {
        "admin": _dashboard,
        "user": _user,
        "grant": _grant,
        "take": _take,
        "ban": _ban,
        "unban": _unban,
        "refund": _refund,
        "broadcast": _broadcast,
        "promo_new": _promo_new,
        "close": _close,
        "money": _money_report,
    }
)


async def run_admin(turn: Turn, money: MoneyDeps, name: str, args: list[str]) -> None:
    """Run admin command ``name``; wrong arguments get its usage line."""
    try:
        await ADMIN_COMMANDS[name](turn, money, args)
    except _Usage:
        await _say(turn, f"admin_usage_{name}")
