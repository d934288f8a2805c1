"""Stored files: what the bot uploads and what simulated users send, addressed by file_id.

Like Telegram, a file gets an opaque `file_id`, a `file_unique_id` that is the same for the same bytes,
and a `file_path` under which `/file/bot{token}/{file_path}` serves it.
"""

from __future__ import annotations

import hashlib
import itertools
import mimetypes
import struct
from dataclasses import dataclass
from typing import Any

from .errors import BadRequest

__all__ = ["FileStore", "MediaKind", "StoredFile", "image_size"]

MediaKind = str  # photo | video | audio | voice | document

_FOLDERS = {
    "photo": "photos",
    "video": "videos",
    "audio": "music",
    "voice": "voice",
    "document": "documents",
}
_DEFAULT_EXT = {"photo": ".jpg", "video": ".mp4", "audio": ".mp3", "voice": ".oga", "document": ""}


@dataclass(frozen=True)
class StoredFile:
    """One stored file."""

    file_id: str
    file_unique_id: str
    file_path: str
    kind: MediaKind
    mime_type: str
    file_name: str | None
    data: bytes

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)

    def to_api(self) -> dict[str, Any]:
        """Render as a Bot API `File` (the answer of getFile)."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }


class FileStore:
    """Files by file_id and by file_path."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._counter = itertools.count(1)

    def put(
        self, data: bytes, kind: MediaKind, *, file_name: str | None = None, mime_type: str | None = None
    ) -> StoredFile:
        """Store bytes and return the new file's identity."""
        number = next(self._counter)
        digest = hashlib.sha256(data).hexdigest()
        ext = _extension(kind, file_name, mime_type)
        mime = mime_type or mimetypes.guess_type(f"x{ext}")[0] or "application/octet-stream"
        stored = StoredFile(
            file_id=f"EMU{kind[:2].upper()}{number:08d}{digest[:24]}",
            file_unique_id=f"U{digest[:15]}",
            file_path=f"{_FOLDERS.get(kind, 'documents')}/file_{number}{ext}",
            kind=kind,
            mime_type=mime,
            file_name=file_name,
            data=data,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile:
        """The file with this id, or Telegram's 'wrong file identifier' answer."""
        stored = self._by_id.get(file_id)
        if stored is None:
            raise BadRequest("wrong file identifier/HTTP URL specified")
        return stored

    def find(self, file_id: str) -> StoredFile | None:
        """The file with this id, if any."""
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        """The file served at this path, if any."""
        return self._by_path.get(file_path)

    def __len__(self) -> int:
        return len(self._by_id)


def _extension(kind: MediaKind, file_name: str | None, mime_type: str | None) -> str:
    """Pick a file extension from the name, else the MIME type, else the kind's usual one."""
    if file_name and "." in file_name:
        return "." + file_name.rsplit(".", 1)[1].lower()
    if mime_type:
        guessed = mimetypes.guess_extension(mime_type)
        if guessed:
            return guessed
    return _DEFAULT_EXT.get(kind, "")


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, GIF or JPEG image; (0, 0) when the format is not recognised."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        return _jpeg_size(data)
    return 0, 0


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """Walk JPEG segments to the first start-of-frame marker."""
    pos = 2
    while pos + 9 < len(data):
        if data[pos] != 0xFF:
            return 0, 0
        marker = data[pos + 1]
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return int(width), int(height)
        pos += 2 + length
    return 0, 0


def media_payload(stored: StoredFile, kind: MediaKind, meta: dict[str, Any] | None = None) -> Any:
    """The Bot API object for a file sent as `kind` (a PhotoSize list for photos).

    `meta` carries what the sender declared (duration, width, height, title, performer).
    """
    meta = meta or {}
    base: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.size,
    }
    if kind == "photo":
        width, height = image_size(stored.data)
        return [{**base, "width": width or 512, "height": height or 512}]
    if kind == "video":
        width, height = image_size(stored.data)
        base.update(width=meta.get("width") or width, height=meta.get("height") or height)
    if kind in ("video", "audio", "voice"):
        base["duration"] = int(meta.get("duration") or 0)
    if kind == "audio":
        base.update(title=meta.get("title"), performer=meta.get("performer"))
    if kind != "voice" and stored.file_name:
        base["file_name"] = stored.file_name
    base["mime_type"] = stored.mime_type
    return {key: value for key, value in base.items() if value is not None}
