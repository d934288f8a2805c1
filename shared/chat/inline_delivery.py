"""Delivering a result into an inline message (one a user sent "via @bot" in any chat) by editing it.

Telegram lets a bot edit an inline message's media only to a file_id or an HTTP URL, never to a new
upload. So the result first goes to the sender's own chat with the bot, as any result would (a copy the
user keeps, with the usual buttons); the file_id Telegram gave it (remembered by FileIdCache) then
replaces the inline message's text. When that private send is refused (the user never opened the bot or
blocked it, or Telegram refused the file there) the inline message gets the result's URL instead, which
Telegram fetches itself. When the inline message is in the sender's own chat with the bot, a private
copy would only repeat it there: the URL goes in first, and the private copy is the fallback.

The result is delivered when the inline message shows it, or, should Telegram refuse that edit, when the
private copy went out: either way the user has it. Neither raises Undeliverable (the job is refunded).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import structlog
from telegram import (
    Bot,
    InlineKeyboardMarkup,
    InputMediaAudio,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
)
from telegram.error import BadRequest, Forbidden, TelegramError

from shared.chat.delivery import Media, Refused, SendRetryLater, TelegramSender, Undeliverable, Unreachable
from shared.chat.file_ids import FileIdCache

__all__ = ["InlineEditor"]

log = structlog.get_logger()

_INPUT_MEDIA = {
    "photo": InputMediaPhoto,
    "video": InputMediaVideo,
    "audio": InputMediaAudio,
    "document": InputMediaDocument,
}


def _kind_of(content_type: str) -> str:
    """The media kind a result URL is shown as, from its MIME type."""
    major = content_type.split("/", 1)[0]
    if major == "image" and content_type != "image/gif":
        return "photo"
    return {"video": "video", "audio": "audio"}.get(major, "document")


class InlineEditor:
    """Edits inline messages: a result into one (see the module docstring), or a plain sentence."""

    def __init__(self, bot: Bot, sender: TelegramSender, file_ids: FileIdCache | None) -> None:
        self._bot = bot
        self._sender = sender
        self._file_ids = file_ids

    async def deliver(
        self,
        inline_message_id: str,
        chat_id: int,
        media: Media,
        caption: str,
        private_markup: InlineKeyboardMarkup | None = None,
        *,
        own_chat: bool = False,
    ) -> int | None:
        """Put ``media`` into the inline message; the id of the private copy in ``chat_id`` (None: none).

        Raises Undeliverable when neither the inline message nor the private chat took it, and
        SendRetryLater when Telegram could not be reached.
        """
        if own_chat:
            try:
                await self._edit_media(inline_message_id, _kind_of(media.content_type), media.url, caption)
                return None
            except (Refused, Unreachable) as exc:
                log.info("inline_url_refused_sending_private_copy", reason=str(exc))
        private_id, reference = await self._private_copy(chat_id, media, caption, private_markup)
        kind, file_ref = reference or (_kind_of(media.content_type), media.url)
        try:
            await self._edit_media(inline_message_id, kind, file_ref, caption)
        except (Refused, Unreachable) as exc:
            if private_id is None:
                raise Undeliverable(f"the inline message refused the result: {exc}") from exc
            log.warning("inline_edit_refused_private_copy_delivered", reason=str(exc))
        return private_id

    async def tell(
        self, inline_message_id: str, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> None:
        """Replace the inline message with ``text`` (raises Refused, Unreachable or SendRetryLater)."""
        await _guard(
            self._bot.edit_message_text(text, inline_message_id=inline_message_id, reply_markup=markup)
        )

    async def _private_copy(
        self, chat_id: int, media: Media, caption: str, markup: InlineKeyboardMarkup | None
    ) -> tuple[int | None, tuple[str, str] | None]:
        """Send the result to the sender's chat with the bot: its message id and (kind, file_id)."""
        try:
            message_id = await self._sender.send_result(chat_id, media, caption, markup)
        except (Unreachable, Undeliverable, Refused) as exc:
            log.info("inline_private_copy_refused_using_url", reason=str(exc))
            return None, None
        known = await self._file_ids.lookup(media.url) if self._file_ids is not None else None
        if known is None or known.kind not in _INPUT_MEDIA:
            return message_id, None
        return message_id, (known.kind, known.file_id)

    async def _edit_media(self, inline_message_id: str, kind: str, file_ref: str, caption: str) -> None:
        item = _INPUT_MEDIA[kind](media=file_ref, caption=caption)
        await _guard(self._bot.edit_message_media(item, inline_message_id=inline_message_id))


async def _guard(call: Awaitable[Any]) -> None:
    """Await an edit; "not modified" means it already shows what we sent (a retry after a crash)."""
    try:
        await call
    except Forbidden as exc:
        raise Unreachable(str(exc)) from exc
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return
        raise Refused(str(exc)) from exc
    except TelegramError as exc:
        raise SendRetryLater(f"{type(exc).__name__}: {exc}") from exc
