"""What the web chat shows of a chat: each message as HTML, media links, keyboards and invoices."""

from __future__ import annotations

from typing import Any

from emulators.telegram import BotApiState, Message
from emulators.telegram.records import InlineQueryRecord

from .render import entities_to_html

__all__ = ["MEDIA_KINDS", "chat_view", "inline_view", "message_view"]

MEDIA_KINDS = ("photo", "video", "animation", "audio", "voice", "video_note", "document", "sticker")
"""Message fields that carry a file, in the order the page looks for them."""


def _file_url(file_id: str) -> str:
    return f"/api/files/{file_id}"


def _media(message: Message) -> list[dict[str, Any]]:
    found = []
    for kind in MEDIA_KINDS:
        value = message.content.get(kind)
        if not value:
            continue
        item = value[-1] if isinstance(value, list) else value  # photos: the largest size is last
        found.append(
            {
                "kind": kind,
                "url": _file_url(str(item["file_id"])),
                "name": item.get("file_name"),
                "mime_type": item.get("mime_type"),
            }
        )
    return found


def _inline_keyboard(message: Message) -> list[list[dict[str, Any]]]:
    rows = (message.reply_markup or {}).get("inline_keyboard") or []
    return [
        [
            {"text": b.get("text", ""), "callback_data": b.get("callback_data"), "url": b.get("url")}
            for b in row
        ]
        for row in rows
    ]


def _invoice(state: BotApiState, message: Message) -> dict[str, Any] | None:
    invoice = message.content.get("invoice")
    if invoice is None:
        return None
    checkouts = state.bot().checkouts.values()
    paid = any(
        c.ok and c.invoice_message_id == message.message_id and c.chat_id == message.chat.id
        for c in checkouts
    )
    return {
        "title": invoice.get("title"),
        "description": invoice.get("description"),
        "currency": invoice.get("currency"),
        "total_amount": invoice.get("total_amount"),
        "paid": paid,
    }


def message_view(state: BotApiState, message: Message) -> dict[str, Any]:
    """One message as the page draws it."""
    text = message.text if message.text is not None else message.caption
    entities = message.entities if message.text is not None else message.caption_entities
    payment = message.content.get("successful_payment")
    paid = None if payment is None else {k: payment[k] for k in ("currency", "total_amount")}
    return {
        "id": message.message_id,
        "from_bot": message.from_bot,
        "via_bot": message.via_bot.username if message.via_bot is not None else None,
        "date": message.date,
        "edited": message.edit_count > 0,
        "html": entities_to_html(text or "", entities),
        "media": _media(message),
        "inline_keyboard": _inline_keyboard(message),
        "invoice": _invoice(state, message),
        "payment": paid,
    }


def inline_view(record: InlineQueryRecord) -> dict[str, Any]:
    """An inline query's results as the page lists them above the composer (Telegram's result list)."""
    answer = record.answer or {}
    results = [
        {"id": r.get("id"), "title": r.get("title") or "", "description": r.get("description") or ""}
        for r in answer.get("results", [])
    ]
    button = answer.get("button")
    return {"answered": record.answered, "results": results, "button": button}


def _reply_keyboard(messages: list[Message]) -> dict[str, Any] | None:
    """The keyboard the user sees now: set by the bot's latest message that set or removed one."""
    user_spoke = False
    for message in reversed(messages):
        markup = message.reply_markup or {}
        if not message.from_bot:
            user_spoke = True
            continue
        if markup.get("remove_keyboard"):
            return None
        if "keyboard" in markup:
            if markup.get("one_time_keyboard") and user_spoke:
                return None
            rows = [[b["text"] if isinstance(b, dict) else str(b) for b in row] for row in markup["keyboard"]]
            return {"rows": rows, "placeholder": markup.get("input_field_placeholder")}
    return None


def chat_view(state: BotApiState, user_id: int) -> dict[str, Any]:
    """The user's private chat with the bot as it stands now."""
    generation = state.changes.generation
    messages = state.chat_messages(user_id)
    return {
        "generation": generation,
        "messages": [message_view(state, m) for m in messages],
        "reply_keyboard": _reply_keyboard(messages),
    }
