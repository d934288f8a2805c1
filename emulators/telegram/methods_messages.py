"""Bot API methods on text messages: send, edit, delete, callback answers and chat actions."""

from __future__ import annotations

from typing import Any

from .call import MethodCall, MethodTable
from .errors import BadRequest
from .formatting import format_text
from .model import Message
from .validation import check_caption, check_reply_markup, check_text

__all__ = [
    "MESSAGE_METHODS",
    "apply_edit",
    "editable_message",
    "is_inline",
    "reply_target",
    "send_and_render",
]

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)


def reply_target(call: MethodCall, chat_id: int) -> int | None:
    """The message_id the new message replies to (reply_parameters or reply_to_message_id)."""
    params = call.params
    reply = params.get_json("reply_parameters")
    target = reply.get("message_id") if isinstance(reply, dict) else params.get_int("reply_to_message_id")
    if target is None:
        return None
    allow = params.get_bool("allow_sending_without_reply") or (
        isinstance(reply, dict) and bool(reply.get("allow_sending_without_reply"))
    )
    if call.bot.message(chat_id, int(target)) is None:
        if allow:
            return None
        raise BadRequest("message to be replied not found")
    return int(target)


def send_and_render(call: MethodCall, message: Message) -> dict[str, Any]:
    """Announce a new bot message to watchers and render it as the call's result."""
    call.state.changes.notify()
    reply_to = call.bot.message(message.chat.id, message.reply_to_message_id or 0)
    return message.to_api(reply_to=reply_to)


async def send_message(call: MethodCall) -> dict[str, Any]:
    """sendMessage."""
    chat = call.chat()
    params = call.params
    raw_text = check_text(params.get_str("text"))
    text, entities = format_text(raw_text, params.get_str("parse_mode"), params.get_json("entities"))
    check_text(text)
    markup = check_reply_markup(params.get_json("reply_markup"))
    reply_to = reply_target(call, chat.id)
    message = call.bot.add_message(
        chat,
        call.bot.user,
        text=text,
        entities=entities,
        reply_markup=markup,
        reply_to_message_id=reply_to,
        internal={"parse_mode": params.get_str("parse_mode")},
    )
    return send_and_render(call, message)


def editable_message(call: MethodCall) -> Message:
    """The bot message an edit names, or Telegram's 'message to edit not found'.

    With ``inline_message_id`` it is the message a user sent via this bot (`MESSAGE_ID_INVALID` when
    there is none); otherwise chat_id and message_id name one of the bot's own messages.
    """
    inline_id = call.params.get_str("inline_message_id")
    if inline_id is not None:
        inline = call.bot.inline_message(inline_id)
        if inline is None:
            raise BadRequest("MESSAGE_ID_INVALID")
        return inline
    chat = call.chat()
    message_id = call.params.get_int("message_id", required=True) or 0
    message = call.bot.message(chat.id, message_id)
    if message is None:
        raise BadRequest("message to edit not found")
    if not message.from_bot:
        raise BadRequest("message can't be edited")
    return message


def apply_edit(call: MethodCall, message: Message, **changes: Any) -> dict[str, Any] | bool:
    """Apply changes in place, refusing an edit that changes nothing.

    The edited Message is the answer, except for an inline message (sent via the bot), answered True.
    """
    if all(getattr(message, name) == value for name, value in changes.items()):
        raise BadRequest(_NOT_MODIFIED)
    for name, value in changes.items():
        setattr(message, name, value)
    message.edit_date = call.now()
    message.edit_count += 1
    rendered = send_and_render(call, message)
    return True if is_inline(message) else rendered


def is_inline(message: Message) -> bool:
    """Whether the message was sent by a user via the bot (an inline message)."""
    return "inline_message_id" in message.internal


async def edit_message_text(call: MethodCall) -> dict[str, Any] | bool:
    """editMessageText: without reply_markup the inline keyboard is removed, as in Telegram."""
    message = editable_message(call)
    params = call.params
    raw_text = check_text(params.get_str("text"))
    if message.text is None:
        raise BadRequest("there is no text in the message to edit")
    text, entities = format_text(raw_text, params.get_str("parse_mode"), params.get_json("entities"))
    markup = check_reply_markup(params.get_json("reply_markup"), inline_only=True)
    return apply_edit(call, message, text=check_text(text), entities=entities, reply_markup=markup)


async def edit_message_caption(call: MethodCall) -> dict[str, Any] | bool:
    """editMessageCaption (media messages only)."""
    message = editable_message(call)
    if message.text is not None:
        raise BadRequest("there is no caption in the message to edit")
    params = call.params
    caption = check_caption(params.get_str("caption"))
    entities = None
    if caption is not None:
        mode = params.get_str("parse_mode")
        caption, entities = format_text(caption, mode, params.get_json("caption_entities"))
    markup = check_reply_markup(params.get_json("reply_markup"), inline_only=True)
    return apply_edit(call, message, caption=caption, caption_entities=entities, reply_markup=markup)


async def edit_message_reply_markup(call: MethodCall) -> dict[str, Any] | bool:
    """editMessageReplyMarkup: omitting reply_markup removes the keyboard."""
    message = editable_message(call)
    markup = check_reply_markup(call.params.get_json("reply_markup"), inline_only=True)
    return apply_edit(call, message, reply_markup=markup)


async def delete_message(call: MethodCall) -> bool:
    """deleteMessage: the message stays in the history, marked deleted."""
    chat = call.chat()
    message_id = call.params.get_int("message_id", required=True) or 0
    message = call.bot.message(chat.id, message_id)
    if message is None:
        raise BadRequest("message to delete not found")
    message.deleted = True
    call.state.changes.notify()
    return True


async def answer_callback_query(call: MethodCall) -> bool:
    """answerCallbackQuery: each query can be answered once."""
    query_id = call.params.get_str("callback_query_id", required=True) or ""
    record = call.bot.callback_queries.get(query_id)
    if record is None or record.answered:
        raise BadRequest("query is too old and response timeout expired or query ID is invalid")
    text = call.params.get_str("text")
    if text is not None and len(text) > 200:
        raise BadRequest("MESSAGE_TOO_LONG")
    record.answer = {
        "text": text,
        "show_alert": call.params.get_bool("show_alert"),
        "url": call.params.get_str("url"),
        "cache_time": call.params.get_int("cache_time") or 0,
    }
    call.state.changes.notify()
    return True


async def send_chat_action(call: MethodCall) -> bool:
    """sendChatAction."""
    call.chat()
    action = call.params.get_str("action", required=True)
    if action not in _CHAT_ACTIONS:
        raise BadRequest("wrong parameter action in request")
    return True


MESSAGE_METHODS: MethodTable = {
    "sendMessage": send_message,
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "answerCallbackQuery": answer_callback_query,
    "sendChatAction": send_chat_action,
}
