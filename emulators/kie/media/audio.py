"""Small valid audio files: MP3 (ID3v2.4 tag + silent MPEG-1 Layer III frames) and WAV (a short chime).

The MP3 frames carry all-zero side information, which every decoder plays as silence; the tag holds
the title, the prompt and the parameters. The WAV plays a two-note chime whose pitch follows a seed,
with the same text in a LIST/INFO chunk.
"""

from __future__ import annotations

import math
import struct

__all__ = ["MP3_FRAME_HEADER", "encode_mp3", "encode_wav"]

# MPEG-1 Layer III, no CRC, 32 kbit/s, 44.1 kHz, mono, original: 104-byte frames of 1152 samples.
MP3_FRAME_HEADER = b"\xff\xfb\x10\xc4"
_MP3_FRAME_BYTES = 104
_MP3_SAMPLES_PER_FRAME = 1152
_MP3_RATE = 44_100
_WAV_RATE = 8_000


def _syncsafe(value: int) -> bytes:
    return bytes([(value >> 21) & 0x7F, (value >> 14) & 0x7F, (value >> 7) & 0x7F, value & 0x7F])


def _id3_text_frame(frame_id: bytes, text: str) -> bytes:
    payload = b"\x03" + text.encode("utf-8")  # encoding 3: UTF-8 (ID3v2.4)
    return frame_id + _syncsafe(len(payload)) + b"\x00\x00" + payload


def _id3_comment(text: str) -> bytes:
    payload = b"\x03" + b"eng" + b"\x00" + text.encode("utf-8")
    return b"COMM" + _syncsafe(len(payload)) + b"\x00\x00" + payload


def encode_mp3(title: str, comment: str, seconds: float) -> bytes:
    """An MP3 of `seconds` of silence whose ID3v2.4 tag carries `title` and `comment`."""
    frames = _id3_text_frame(b"TIT2", title) + _id3_text_frame(b"TPE1", "KIE emulator")
    frames += _id3_comment(comment)
    tag = b"ID3\x04\x00\x00" + _syncsafe(len(frames)) + frames
    count = max(1, math.ceil(seconds * _MP3_RATE / _MP3_SAMPLES_PER_FRAME))
    frame = MP3_FRAME_HEADER + b"\x00" * (_MP3_FRAME_BYTES - len(MP3_FRAME_HEADER))
    return tag + frame * count


def _info_chunk(title: str, comment: str) -> bytes:
    body = b"INFO"
    for key, text in ((b"INAM", title), (b"ICMT", comment)):
        value = text.encode("utf-8") + b"\x00"
        if len(value) % 2:
            value += b"\x00"
        body += key + struct.pack("<I", len(value)) + value
    return b"LIST" + struct.pack("<I", len(body)) + body


def encode_wav(title: str, comment: str, seconds: float, seed: int) -> bytes:
    """A 16-bit mono 8 kHz WAV: a two-note chime (pitch from `seed`) with title and comment in INFO."""
    count = max(1, int(seconds * _WAV_RATE))
    base = 330.0 + (seed % 12) * 20.0
    samples = bytearray()
    for index in range(count):
        tone = base if index < count // 2 else base * 1.5
        envelope = 1.0 - (index % (count // 2 or 1)) / (count // 2 or 1)
        value = int(9000 * envelope * math.sin(2 * math.pi * tone * index / _WAV_RATE))
        samples += struct.pack("<h", value)
    fmt = struct.pack("<HHIIHH", 1, 1, _WAV_RATE, _WAV_RATE * 2, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += _info_chunk(title, comment) + b"data" + struct.pack("<I", len(samples)) + bytes(samples)
    return b"RIFF" + struct.pack("<I", len(body)) + body
