"""Stored files (uploads and task results), served back at `/files/{path}` on either host."""

from __future__ import annotations

import mimetypes
import secrets
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

__all__ = ["FILES_PREFIX", "FileStore", "StoredFile", "file_url", "random_name"]

FILES_PREFIX = "/files/"


@dataclass(frozen=True)
class StoredFile:
    """A file's bytes and metadata; `path` is relative, e.g. `images/user-uploads/a.png`."""

    path: str
    data: bytes
    mime_type: str
    created: float

    @property
    def name(self) -> str:
        """The last path segment."""
        return self.path.rsplit("/", 1)[-1]


class FileStore:
    """Files by path; the same path overwrites, as KIE's upload host does (§6)."""

    def __init__(self) -> None:
        self._files: dict[str, StoredFile] = {}

    def put(self, path: str, data: bytes, created: float, mime_type: str | None = None) -> StoredFile:
        """Store bytes at `path`, guessing the MIME type from the name when not given."""
        mime = mime_type or _sniff(data) or mimetypes.guess_type(path)[0] or "application/octet-stream"
        stored = StoredFile(path=path.strip("/"), data=data, mime_type=mime, created=created)
        self._files[stored.path] = stored
        return stored

    def get(self, path: str) -> StoredFile | None:
        """The file at `path`, or None."""
        return self._files.get(unquote(path).strip("/"))

    def find_url(self, url: str, bases: tuple[str, ...]) -> StoredFile | None:
        """The stored file a URL on one of our `bases` points at, or None for anything else."""
        if not any(url.startswith(base.rstrip("/") + FILES_PREFIX) for base in bases if base):
            return None
        return self.get(urlsplit(url).path[len(FILES_PREFIX) :])

    def __len__(self) -> int:
        return len(self._files)

    def clear(self) -> None:
        """Forget every file."""
        self._files.clear()


def file_url(base: str, stored: StoredFile) -> str:
    """The public URL of a stored file on a host."""
    return f"{base.rstrip('/')}{FILES_PREFIX}{quote(stored.path)}"


def random_name(extension: str) -> str:
    """A file name for uploads sent without one."""
    return f"{secrets.token_hex(8)}{extension}"


_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"ID3", "audio/mpeg"),
)


def _sniff(data: bytes) -> str | None:
    """MIME type from magic bytes (KIE auto-detects it)."""
    for magic, mime in _SIGNATURES:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    return None
