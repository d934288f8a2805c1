"""Checks on what the bot sends, answered with Telegram's own error descriptions."""

from __future__ import annotations

from typing import Any

from .errors import BadRequest

__all__ = [
    "MAX_CALLBACK_DATA_BYTES",
    "MAX_CAPTION_LENGTH",
    "MAX_TEXT_LENGTH",
    "check_caption",
    "check_reply_markup",
    "check_text",
]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
_TEXT_BUTTON = "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
_INLINE_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def check_text(text: str | None) -> str:
    """A message text must be non-empty (after trimming) and at most 4096 characters."""
    if text is None or not text.strip():
        raise BadRequest("message text is empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise BadRequest("message is too long")
    return text


def check_caption(caption: str | None) -> str | None:
    """A caption is optional and at most 1024 characters."""
    if caption is not None and len(caption) > MAX_CAPTION_LENGTH:
        raise BadRequest("message caption is too long")
    return caption or None


def check_reply_markup(markup: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
    """Validate a reply_markup object and return it; None when absent."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise BadRequest("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _check_keyboard(markup["inline_keyboard"], "inline_keyboard", "InlineKeyboardMarkup")
        return markup
    if inline_only:
        raise BadRequest("inline keyboard expected")
    if "keyboard" in markup:
        _check_keyboard(markup["keyboard"], "keyboard", "ReplyKeyboardMarkup")
        return markup
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise BadRequest("can't parse reply keyboard markup JSON object")


def _check_keyboard(rows: Any, field: str, owner: str) -> None:
    """A keyboard is an array of arrays of valid buttons."""
    _check_rows(rows, field, owner)
    check = _check_inline_button if field == "inline_keyboard" else _check_reply_button
    for row in rows:
        for button in row:
            check(button)


def _check_rows(rows: Any, field: str, owner: str) -> None:
    """A keyboard is an array of arrays of buttons."""
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise BadRequest(f'field "{field}" of the {owner} must be an Array of Arrays')


def _check_inline_button(button: Any) -> None:
    """An inline button has a text and exactly one action; callback_data is 1-64 bytes."""
    if not isinstance(button, dict):
        raise BadRequest("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    if not isinstance(button.get("text"), str):
        raise BadRequest('can\'t parse inline keyboard button: Field "text" must be of type String')
    actions = [name for name in _INLINE_ACTIONS if name in button]
    if not actions:
        raise BadRequest(_TEXT_BUTTON)
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
            raise BadRequest("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not url.startswith(("http://", "https://", "tg://")):
            raise BadRequest("BUTTON_URL_INVALID")


def _check_reply_button(button: Any) -> None:
    """A reply keyboard button is a string or an object with a text."""
    if isinstance(button, str):
        return
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise BadRequest("can't parse keyboard button: KeyboardButton must be a String or an Object")
