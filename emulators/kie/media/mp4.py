"""An ISO-BMFF (MP4) muxer for one H.264 video track, and a box walker to check what it wrote.

Layout: ftyp, moov (faststart: before the media), free (a plain-text marker), mdat. Samples are
length-prefixed NAL units; the parameter sets live in the avcC box.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from .h264 import EncodedStream

__all__ = ["iter_boxes", "mux_mp4"]

_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def _box(kind: bytes, *payload: bytes) -> bytes:
    body = b"".join(payload)
    return struct.pack(">I", 8 + len(body)) + kind + body


def _full(kind: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags), *payload)


def _avcc(stream: EncodedStream) -> bytes:
    sps, pps = stream.sps, stream.pps
    return _box(
        b"avcC",
        bytes([1, sps[1], sps[2], sps[3], 0xFF, 0xE1]),
        struct.pack(">H", len(sps)),
        sps,
        b"\x01",
        struct.pack(">H", len(pps)),
        pps,
    )


def _sample_entry(stream: EncodedStream, width: int, height: int) -> bytes:
    name = b"KIE emulator sandbox"
    compressor = bytes([len(name)]) + name.ljust(31, b"\x00")
    return _box(
        b"avc1",
        b"\x00" * 6,
        struct.pack(">H", 1),  # data_reference_index
        b"\x00" * 16,
        struct.pack(">HHIIIH", width, height, 0x480000, 0x480000, 0, 1),
        compressor,
        struct.pack(">Hh", 0x18, -1),
        _avcc(stream),
    )


def _stbl(stream: EncodedStream, sizes: list[int], width: int, height: int, delta: int, offset: int) -> bytes:
    count = len(sizes)
    return _box(
        b"stbl",
        _full(b"stsd", 0, 0, struct.pack(">I", 1), _sample_entry(stream, width, height)),
        _full(b"stts", 0, 0, struct.pack(">III", 1, count, delta)),
        _full(b"stss", 0, 0, struct.pack(">II", 1, 1)),
        _full(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, count, 1)),
        _full(b"stsz", 0, 0, struct.pack(">II", 0, count), struct.pack(f">{count}I", *sizes)),
        _full(b"stco", 0, 0, struct.pack(">II", 1, offset)),
    )


def _moov(stream: EncodedStream, sizes: list[int], dims: tuple[int, int], fps: int, offset: int) -> bytes:
    width, height = dims
    timescale, delta = fps * 100, 100
    duration = len(sizes) * delta
    movie_ms = duration * 1000 // timescale
    movie = struct.pack(">IIIIIH", 0, 0, 1000, movie_ms, 0x10000, 0x100)
    mvhd = _full(b"mvhd", 0, 0, movie, b"\x00" * 10, _MATRIX, b"\x00" * 24, struct.pack(">I", 2))
    track = struct.pack(">IIIII", 0, 0, 1, 0, movie_ms) + b"\x00" * 8 + struct.pack(">hhhH", 0, 0, 0, 0)
    tkhd = _full(b"tkhd", 0, 3, track, _MATRIX, struct.pack(">II", width << 16, height << 16))
    mdhd = _full(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, timescale, duration, 0x55C4, 0))
    hdlr = _full(b"hdlr", 0, 0, struct.pack(">I", 0), b"vide", b"\x00" * 12, b"VideoHandler\x00")
    dinf = _box(b"dinf", _full(b"dref", 0, 0, struct.pack(">I", 1), _full(b"url ", 0, 1)))
    minf = _box(
        b"minf", _full(b"vmhd", 0, 1, b"\x00" * 8), dinf, _stbl(stream, sizes, width, height, delta, offset)
    )
    return _box(b"moov", mvhd, _box(b"trak", tkhd, _box(b"mdia", mdhd, hdlr, minf)))


def mux_mp4(stream: EncodedStream, width: int, height: int, fps: int, marker: str = "") -> bytes:
    """A complete MP4 file playing the stream's pictures at `fps`; `marker` goes into a free box."""
    samples = [struct.pack(">I", len(nal)) + nal for nal in stream.pictures]
    sizes = [len(sample) for sample in samples]
    ftyp = _box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isomiso2avc1mp41")
    free = _box(b"free", marker.encode("utf-8", "replace"))
    provisional = _moov(stream, sizes, (width, height), fps, 0)
    offset = len(ftyp) + len(provisional) + len(free) + 8
    moov = _moov(stream, sizes, (width, height), fps, offset)
    return ftyp + moov + free + _box(b"mdat", *samples)


def iter_boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    """Yield (type, payload start, payload end) of each top-level box in data[start:end]."""
    stop = len(data) if end is None else end
    position = start
    while position + 8 <= stop:
        size, kind = struct.unpack(">I4s", data[position : position + 8])
        if size < 8 or position + size > stop:
            raise ValueError(f"bad box size {size} at offset {position}")
        yield kind, position + 8, position + size
        position += size
    if position != stop:
        raise ValueError("trailing bytes after the last box")
