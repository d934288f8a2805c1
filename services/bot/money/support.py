"""Support that reaches people: /support and /paysupport open a ticket whose messages go to the admins.

A user's message is relayed to every admin with the user's card; an admin answers by replying to the
relayed message, and the answer goes back to the user. Without text after the command the user is
asked for it, and their next text message is the one relayed. Open tickets show in /admin.
"""

from __future__ import annotations

import structlog
from telegram import Message

from services.bot.handlers.turn import Turn
from services.bot.money.deps import MoneyDeps
from services.bot.views import Screen
from shared.money import Ticket, Topic

__all__ = ["WAITING_SECONDS", "on_admin_reply", "on_support", "on_waiting_text", "open_tickets_text"]

log = structlog.get_logger()

WAITING_SECONDS = 3600
"""After /support without text, the user's next text within an hour is their message."""
_DATE = "%d.%m %H:%M"


async def on_support(turn: Turn, money: MoneyDeps, text: str, topic: Topic) -> None:
    """/support or /paysupport: relay ``text``, or ask for it when there is none."""
    if text:
        await relay(turn, money, text, topic)
        return
    await money.redis.set(money.keys.support_waiting(turn.user_id), topic.value, ex=WAITING_SECONDS)
    key = "money_paysupport" if topic is Topic.PAYMENT else "support_ask"
    await turn.send(Screen(turn.t(key, user_id=turn.user_id)))


async def on_waiting_text(turn: Turn, money: MoneyDeps, text: str) -> bool:
    """The text a user was asked for after /support: relayed (True), or not awaited (False)."""
    raw = await money.redis.getdel(money.keys.support_waiting(turn.user_id))
    if raw is None:
        return False
    await relay(turn, money, text, Topic(raw.decode() if isinstance(raw, bytes) else raw))
    return True


async def relay(turn: Turn, money: MoneyDeps, text: str, topic: Topic) -> None:
    """Record the message in the user's ticket and pass it to every admin with the user's card."""
    await turn.deps.ledger.ensure_user(turn.user_id, language=turn.language.value)
    ticket = await money.support.open(turn.user_id, topic)
    await money.support.add_message(
        ticket, turn.update_id, from_admin=False, author_id=turn.user_id, text=text
    )
    for admin_id in sorted(money.admin_ids):
        card = await _card(turn, money, ticket, text, admin_id)
        sent = await turn.bot.send_message(admin_id, card)
        await money.support.relayed(admin_id, sent.message_id, ticket)
    log.info("support_relayed", ticket=ticket.id, topic=topic.value)
    await turn.send(Screen(turn.t("support_sent", ticket=ticket.id)))


async def _card(turn: Turn, money: MoneyDeps, ticket: Ticket, text: str, admin_id: int) -> str:
    language = await turn.deps.prefs.language(admin_id, None)
    card = await money.accounts.card(turn.user_id)
    texts = turn.deps.texts
    return texts.get(
        "support_card",
        language,
        ticket=ticket.id,
        topic=texts.get(f"support_topic_{ticket.topic.value}", language),
        name=turn.first_name,
        username=(card.username if card else None) or "-",
        user_id=turn.user_id,
        lang=turn.language.value,
        balance=card.balance if card else 0,
        payments=card.payments if card else 0,
        stars=card.stars if card else 0,
        jobs=card.jobs if card else 0,
        text=text,
    )


async def on_admin_reply(turn: Turn, money: MoneyDeps, message: Message) -> bool:
    """An admin's reply to a relayed message goes to the ticket's user (True when it was one)."""
    replied = message.reply_to_message
    if replied is None or not message.text or not money.is_admin(turn.user_id):
        return False
    ticket = await money.support.by_relay(turn.user_id, replied.message_id)
    if ticket is None:
        return False
    await money.support.add_message(
        ticket, turn.update_id, from_admin=True, author_id=turn.user_id, text=message.text
    )
    card = await money.accounts.card(ticket.user_id)
    language = await turn.deps.prefs.language(ticket.user_id, card.language if card else None)
    answer = turn.deps.texts.get("support_answer", language, text=message.text)
    await turn.bot.send_message(ticket.user_id, answer)
    log.info("support_answered", ticket=ticket.id)
    await turn.send(Screen(turn.t("support_delivered", user_id=ticket.user_id, ticket=ticket.id)))
    return True


async def open_tickets_text(turn: Turn, money: MoneyDeps) -> str | None:
    """The open tickets for /admin, or None when there are none."""
    tickets = await money.support.open_tickets()
    if not tickets:
        return None
    lines = "\n".join(
        turn.t(
            "support_open_line",
            ticket=t.id,
            user_id=t.user_id,
            topic=turn.t(f"support_topic_{t.topic.value}"),
            date=t.opened_at.strftime(_DATE),
        )
        for t in tickets
    )
    return turn.t("support_open_title", lines=lines)
