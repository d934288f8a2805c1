"""A minimal PNG encoder (8-bit RGB, no filtering) on top of zlib, plus a reader of its header."""

from __future__ import annotations

import struct
import zlib

from .canvas import Canvas

__all__ = ["PNG_SIGNATURE", "encode_png", "png_size"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def encode_png(canvas: Canvas, text: dict[str, str] | None = None) -> bytes:
    """Encode the canvas as a PNG; `text` becomes tEXt chunks (Latin-1, unencodable chars replaced)."""
    header = struct.pack(">IIBBBBB", canvas.width, canvas.height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + bytes(row) for row in canvas.rows)
    chunks = [_chunk(b"IHDR", header)]
    for key, value in (text or {}).items():
        payload = key.encode("latin-1", "replace")[:79] + b"\x00" + value.encode("latin-1", "replace")
        chunks.append(_chunk(b"tEXt", payload))
    chunks.append(_chunk(b"IDAT", zlib.compress(raw, 9)))
    chunks.append(_chunk(b"IEND", b""))
    return PNG_SIGNATURE + b"".join(chunks)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR; ValueError when `data` does not start like a PNG."""
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)
