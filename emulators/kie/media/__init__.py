"""Media the emulator serves as task results: PNG pictures, MP4 clips and MP3/WAV sounds, all marked
as sandbox output and showing the prompt and parameters (pure Python, no imaging libraries).
"""

from .audio import MP3_FRAME_HEADER, encode_mp3, encode_wav
from .canvas import Canvas
from .cards import SANDBOX_LABEL, aspect_of, draw_card
from .h264 import encode_still_clip
from .mp4 import iter_boxes, mux_mp4
from .png import PNG_SIGNATURE, encode_png, png_size

__all__ = [
    "MP3_FRAME_HEADER",
    "PNG_SIGNATURE",
    "SANDBOX_LABEL",
    "Canvas",
    "aspect_of",
    "draw_card",
    "encode_mp3",
    "encode_png",
    "encode_still_clip",
    "encode_wav",
    "iter_boxes",
    "mux_mp4",
    "png_size",
]
