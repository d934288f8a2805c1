"""Sending results (fetched by ``shared.chat.download``) and plain messages to the user's chat.

A result goes out as its own media type, chosen from the file's Content-Type: photo (images up to
Telegram's 10 MB photo limit), video, audio, else document. When Telegram refuses the media type (400,
or 413 too large) the file goes as a document; when it refuses that too, or the file is over the 50 MB
upload limit (or was cut at the download cap), the send raises Undeliverable (the caller then offers a
link the bot serves, see :mod:`shared.chat.result_links`), and a chat that cannot be reached at all
(403 blocked, chat not found) raises Unreachable. Telegram sends pass through the shared Redis rate
limiter, like the bot's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from telegram import Bot, InlineKeyboardMarkup, InputFile, Message
from telegram.error import BadRequest, Forbidden, TelegramError

from shared.chat.download import Downloader, DownloadError, Media
from shared.chat.file_ids import FileIdCache, SentFile, sent_file_of
from shared.errors import TrtError

__all__ = [
    "DownloadError",
    "Downloader",
    "Media",
    "Refused",
    "SendRetryLater",
    "TelegramSender",
    "Undeliverable",
    "Unreachable",
]

log = structlog.get_logger()

PHOTO_LIMIT = 10 * 1024 * 1024
THUMBNAIL_LIMIT = 200 * 1024
"""Telegram takes audio and video thumbnails up to 200 kB (Bot API, sendAudio `thumbnail`)."""
UPLOAD_LIMIT = 50 * 1024 * 1024
Markup = InlineKeyboardMarkup


class SendRetryLater(TrtError):
    """Telegram could not be reached or asked us to wait; the message was not sent."""


class Unreachable(TrtError):
    """The chat cannot receive messages (the user blocked the bot, the chat is gone)."""


class Refused(TrtError):
    """Telegram would not take this message or file in this form (400, or 413 too large)."""


class Undeliverable(TrtError):
    """Telegram refused the result in every form tried (its media type, then as a document)."""


class TelegramSender:
    """Sends results and plain messages through a PTB bot built with the shared rate limiter."""

    def __init__(self, bot: Bot, file_ids: FileIdCache | None = None) -> None:
        self._bot = bot
        self._file_ids = file_ids

    async def send_text(self, chat_id: int, text: str, reply_markup: Markup | None = None) -> int:
        """Send a plain message; return its id."""
        sent = await self._guard(self._bot.send_message(chat_id, text, reply_markup=reply_markup))
        return sent.message_id

    async def send_result(
        self, chat_id: int, media: Media, caption: str, reply_markup: Markup | None = None
    ) -> int:
        """Send `media` as its own type with `caption` (and buttons); return the message id.

        A result sent before (its file_id remembered) is sent by file_id instead of uploaded again.
        Raises Undeliverable when it is over the upload limit or refused as media and as a document.
        """
        if media.too_large or len(media.data) > UPLOAD_LIMIT:
            raise Undeliverable(
                f"{len(media.data)} bytes or more: over Telegram's {UPLOAD_LIMIT} byte upload limit"
            )
        known = await self._file_ids.lookup(media.url) if self._file_ids is not None else None
        if known is not None:
            try:
                return (await self._guard(self.send_file(chat_id, known, caption, reply_markup))).message_id
            except Refused as exc:  # a file_id Telegram no longer honours: upload the bytes again
                log.info("file_id_refused_uploading", reason=str(exc))
        sent = await self._upload(chat_id, media, caption, reply_markup)
        file = sent_file_of(sent)
        if self._file_ids is not None and file is not None:
            await self._file_ids.remember(media.url, file)
        return sent.message_id

    async def send_original(self, chat_id: int, media: Media) -> int | None:
        """Send the untouched file as a document (Telegram recompresses photos), by file_id if known.

        Only an extra after the result itself was delivered: a refusal is logged and gives None.
        """
        if media.too_large:
            return None
        key = f"{media.url}#original"
        known = await self._file_ids.lookup(key) if self._file_ids is not None else None
        try:
            if known is not None:
                return (await self._guard(self.send_file(chat_id, known, ""))).message_id
            upload = InputFile(media.data, filename=media.file_name)
            sent = await self._guard(self._bot.send_document(chat_id, upload))
        except Refused as exc:
            log.info("original_refused", reason=str(exc))
            return None
        file = sent_file_of(sent)
        if self._file_ids is not None and file is not None:
            await self._file_ids.remember(key, file)
        return sent.message_id

    def send_file(
        self, chat_id: int, file: SentFile, caption: str, reply_markup: Markup | None = None
    ) -> Awaitable[Message]:
        """Send a file Telegram already holds, by its file_id, as the kind it was first sent as."""
        bot, file_id = self._bot, file.file_id
        if file.kind == "photo":
            return bot.send_photo(chat_id, file_id, caption=caption, reply_markup=reply_markup)
        if file.kind == "video":
            return bot.send_video(chat_id, file_id, caption=caption, reply_markup=reply_markup)
        if file.kind == "audio":
            return bot.send_audio(chat_id, file_id, caption=caption, reply_markup=reply_markup)
        if file.kind == "voice":
            return bot.send_voice(chat_id, file_id, caption=caption, reply_markup=reply_markup)
        return bot.send_document(chat_id, file_id, caption=caption, reply_markup=reply_markup)

    async def _upload(self, chat_id: int, media: Media, caption: str, reply_markup: Markup | None) -> Message:
        """Its own media type first, then as a document; Undeliverable when both are refused."""
        as_media = self._as_media(chat_id, media, caption, reply_markup)
        if as_media is not None:
            try:
                return await self._guard(as_media())
            except Refused as exc:  # e.g. dimensions or a codec Telegram refuses for this type
                log.info("media_refused_sending_document", content_type=media.content_type, reason=str(exc))
        upload = InputFile(media.data, filename=media.file_name)
        document = self._bot.send_document(chat_id, upload, caption=caption, reply_markup=reply_markup)
        try:
            return await self._guard(document)
        except Refused as exc:
            raise Undeliverable(f"{media.content_type} refused as media and as a document: {exc}") from exc

    def _as_media(
        self, chat_id: int, media: Media, caption: str, markup: Markup | None
    ) -> Callable[[], Awaitable[Message]] | None:
        """The send of `media` as its own type (built when called), or None when it goes as a document."""
        kind, bot = media.content_type.split("/", 1)[0], self._bot

        def upload() -> InputFile:
            return InputFile(media.data, filename=media.file_name)

        if kind == "image" and len(media.data) <= PHOTO_LIMIT and media.content_type != "image/gif":
            return lambda: bot.send_photo(chat_id, upload(), caption=caption, reply_markup=markup)
        if kind == "video":
            return lambda: bot.send_video(chat_id, upload(), caption=caption, reply_markup=markup)
        if kind == "audio":
            return lambda: bot.send_audio(
                chat_id,
                upload(),
                caption=caption,
                title=media.title,
                thumbnail=_thumbnail(media.cover),
                reply_markup=markup,
            )
        return None

    async def _guard(self, call: Awaitable[Message]) -> Message:
        """Await a send, translating Telegram's errors to Unreachable / Refused / SendRetryLater."""
        try:
            return await call
        except Forbidden as exc:
            raise Unreachable(str(exc)) from exc
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                raise Unreachable(str(exc)) from exc
            raise Refused(str(exc)) from exc
        except TelegramError as exc:
            if "too large" in str(exc).lower():  # 413: PTB raises it as a NetworkError
                raise Refused(str(exc)) from exc
            raise SendRetryLater(f"{type(exc).__name__}: {exc}") from exc


def _thumbnail(cover: bytes | None) -> InputFile | None:
    """A cover as Telegram takes thumbnails (JPEG under 200 kB); a larger one is left out, not refused."""
    return InputFile(cover, filename="cover.jpg") if cover and len(cover) <= THUMBNAIL_LIMIT else None
