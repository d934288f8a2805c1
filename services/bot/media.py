"""Taking a user's file: fetch it from Telegram with getFile, hand it to KIE's upload host.

KIE must be able to fetch model inputs, and a Telegram file URL contains the bot token, so files
are re-uploaded to KIE rather than linked.
"""

from __future__ import annotations

import structlog
from telegram import Bot
from telegram.error import TelegramError

from shared.errors import TrtError
from shared.kie import KieClient
from shared.kie.errors import KieError

__all__ = ["MediaIntake", "MediaRejected"]

log = structlog.get_logger()

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
"""Bots may download files up to 20 MB through getFile."""

UPLOAD_PATH = "trt/inputs"


class MediaRejected(TrtError):
    """The file could not be taken; ``key`` names the catalog message explaining why."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


class MediaIntake:
    """Downloads a Telegram file and uploads it to KIE, returning the URL models take."""

    def __init__(self, kie: KieClient, upload_path: str = UPLOAD_PATH) -> None:
        self._kie = kie
        self._upload_path = upload_path

    async def take(self, bot: Bot, file_id: str, file_name: str, size: int | None) -> str:
        """The KIE download URL of the Telegram file ``file_id``; raises MediaRejected."""
        if size is not None and size > MAX_DOWNLOAD_BYTES:
            raise MediaRejected(
                "err_file_too_big", size=round(size / 1024 / 1024, 1), limit=MAX_DOWNLOAD_BYTES // 2**20
            )
        try:
            telegram_file = await bot.get_file(file_id)
            data = bytes(await telegram_file.download_as_bytearray())
        except TelegramError as exc:
            log.warning("media_download_failed", error=type(exc).__name__)
            raise MediaRejected("err_upload") from exc
        try:
            uploaded = await self._kie.upload_file_stream(data, file_name, self._upload_path)
        except KieError as exc:
            log.warning("media_upload_failed", error=type(exc).__name__)
            raise MediaRejected("err_upload") from exc
        return uploaded.download_url
