"""Results already sent to Telegram, remembered by file_id, so the same file is never uploaded twice.

Keyed by a digest of the result URL; the value says how it was sent (photo, video, audio, document)
and its file_id. History's Open, a re-notification after a restart and any resend use it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import redis.asyncio as aioredis
from telegram import Message

from shared.keys import Keys

__all__ = ["FileIdCache", "SentFile", "sent_file_of"]

FILE_ID_TTL_SECONDS = 90 * 24 * 3600


@dataclass(frozen=True, slots=True)
class SentFile:
    """How a result went out: the send method's kind and Telegram's file_id."""

    kind: str
    file_id: str


def sent_file_of(message: Message) -> SentFile | None:
    """The file a sent message carries, or None for a text message."""
    if message.photo:
        return SentFile("photo", message.photo[-1].file_id)
    for kind in ("video", "audio", "voice", "document"):
        media = getattr(message, kind)
        if media is not None:
            return SentFile(kind, str(media.file_id))
    return None


def _digest(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:32]


class FileIdCache:
    """Result URL → the file Telegram already holds for it."""

    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def remember(self, url: str, sent: SentFile) -> None:
        """Record that ``url`` was sent as ``sent``."""
        value = json.dumps({"kind": sent.kind, "file_id": sent.file_id})
        await self._redis.set(self._keys.telegram_file(_digest(url)), value, ex=FILE_ID_TTL_SECONDS)

    async def lookup(self, url: str) -> SentFile | None:
        """The file already sent for ``url``, if any."""
        raw = await self._redis.get(self._keys.telegram_file(_digest(url)))
        if raw is None:
            return None
        data = json.loads(raw)
        return SentFile(str(data["kind"]), str(data["file_id"]))
