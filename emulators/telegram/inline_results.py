"""Checks on an answerInlineQuery: the results a bot offers for an inline query, the way Telegram checks them.

Supported result types: ``article`` (title + input_message_content) and ``photo`` (photo_url +
thumbnail_url, or photo_file_id via the same type). The only InputMessageContent is the text one
(InputTextMessageContent). Anything else is refused with a description naming what was wrong.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import BadRequest
from .validation import MAX_TEXT_LENGTH, check_reply_markup

__all__ = ["MAX_INLINE_RESULTS", "MAX_RESULT_ID_BYTES", "check_button", "check_next_offset", "check_results"]

MAX_INLINE_RESULTS = 50
MAX_RESULT_ID_BYTES = 64
_MAX_OFFSET_BYTES = 64
_START_PARAMETER = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def check_results(results: Any) -> list[dict[str, Any]]:
    """At most 50 results, each with a unique 1-64 byte id and a supported, complete type."""
    if not isinstance(results, list):
        raise BadRequest("can't parse inline query results JSON object")
    if len(results) > MAX_INLINE_RESULTS:
        raise BadRequest("RESULTS_TOO_MUCH")
    seen: set[str] = set()
    for result in results:
        result_id = _check_result(result)
        if result_id in seen:
            raise BadRequest("RESULT_ID_DUPLICATE")
        seen.add(result_id)
    return [dict(result) for result in results]


def _check_result(result: Any) -> str:
    if not isinstance(result, dict):
        raise BadRequest("can't parse inline query result: InlineQueryResult must be an Object")
    result_id = result.get("id")
    if not isinstance(result_id, str) or not 1 <= len(result_id.encode("utf-8")) <= MAX_RESULT_ID_BYTES:
        raise BadRequest("RESULT_ID_INVALID")
    kind = result.get("type")
    if kind == "article":
        _check_article(result)
    elif kind == "photo":
        _check_photo(result)
    else:
        raise BadRequest(f"can't parse inline query result: unsupported type {kind!r}")
    content = result.get("input_message_content")
    if content is not None:
        _check_text_content(content)
    check_reply_markup(result.get("reply_markup"), inline_only=True)
    return result_id


def _check_article(result: dict[str, Any]) -> None:
    title = result.get("title")
    if not isinstance(title, str) or not title.strip():
        raise BadRequest('can\'t parse inline query result: field "title" must be a non-empty String')
    if result.get("input_message_content") is None:
        raise BadRequest("can't parse inline query result: input_message_content is required for article")


def _check_photo(result: dict[str, Any]) -> None:
    if isinstance(result.get("photo_file_id"), str):
        return
    url, thumb = result.get("photo_url"), result.get("thumbnail_url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise BadRequest("PHOTO_INVALID")
    if not isinstance(thumb, str) or not thumb.startswith(("http://", "https://")):
        raise BadRequest("PHOTO_THUMB_URL_EMPTY")


def _check_text_content(content: Any) -> None:
    if not isinstance(content, dict) or "message_text" not in content:
        raise BadRequest("can't parse inline query result: unsupported input_message_content")
    text = content.get("message_text")
    if not isinstance(text, str) or not text.strip():
        raise BadRequest("MESSAGE_EMPTY")
    if len(text) > MAX_TEXT_LENGTH:
        raise BadRequest("MESSAGE_TOO_LONG")


def check_next_offset(offset: str | None) -> str:
    """next_offset is at most 64 bytes."""
    if offset is not None and len(offset.encode("utf-8")) > _MAX_OFFSET_BYTES:
        raise BadRequest("NEXT_OFFSET_INVALID")
    return offset or ""


def check_button(button: Any) -> dict[str, Any] | None:
    """InlineQueryResultsButton: a text and one of web_app, start_parameter (1-64 of A-Za-z0-9_-)."""
    if button is None:
        return None
    if not isinstance(button, dict) or not isinstance(button.get("text"), str) or not button["text"]:
        raise BadRequest("can't parse InlineQueryResultsButton: text is required")
    start, web_app = button.get("start_parameter"), button.get("web_app")
    if (start is None) == (web_app is None):
        raise BadRequest("can't parse InlineQueryResultsButton: exactly one of web_app, start_parameter")
    if start is not None and not (isinstance(start, str) and _START_PARAMETER.match(start)):
        raise BadRequest("START_PARAM_INVALID")
    return dict(button)
