"""The picture every sandbox result shows: a 'SANDBOX OUTPUT' band, the model, the prompt, the parameters."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

from .canvas import Canvas, Color, line_height, wrap
from .font import GLYPH_WIDTH

__all__ = ["SANDBOX_LABEL", "aspect_of", "draw_card"]

SANDBOX_LABEL = "KIE EMULATOR - SANDBOX OUTPUT"
_BAND_DARK: Color = (20, 20, 20)
_BAND_LIGHT: Color = (250, 200, 0)
_TEXT: Color = (255, 255, 255)
_MUTED: Color = (200, 220, 255)
_NAMED_ASPECTS = {"square": (1, 1), "square_hd": (1, 1), "portrait": (9, 16), "landscape": (16, 9)}
_RATIO = re.compile(r"(\d+)[:_](\d+)")


def aspect_of(params: Mapping[str, object]) -> tuple[int, int]:
    """The width:height the parameters ask for (aspect_ratio, image_size), 1:1 when none is readable."""
    for name in ("aspect_ratio", "image_size", "size"):
        value = params.get(name)
        if not isinstance(value, str):
            continue
        if value in _NAMED_ASPECTS:
            return _NAMED_ASPECTS[value]
        match = _RATIO.search(value)
        if match and int(match.group(1)) and int(match.group(2)):
            ratio = (int(match.group(1)), int(match.group(2)))
            return (ratio[1], ratio[0]) if value.startswith("portrait") else ratio
    return 1, 1


def _background(seed: str) -> Color:
    digest = hashlib.sha256(seed.encode()).digest()
    return 30 + digest[0] % 60, 40 + digest[1] % 60, 70 + digest[2] % 80


def _param_lines(params: Mapping[str, object]) -> list[str]:
    lines = []
    for key, value in sorted(params.items()):
        if key in ("prompt", "text"):
            continue
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        lines.append(f"{key}={shown}")
    return lines


def draw_card(canvas_size: tuple[int, int], model: str, prompt: str, params: Mapping[str, object]) -> Canvas:
    """Draw the result card for a task on a new canvas of `canvas_size` (width, height)."""
    width, height = canvas_size
    canvas = Canvas(width, height, _background(model + prompt))
    scale = 2 if width >= 320 else 1
    band = line_height(scale) + 6
    canvas.stripes(0, band, _BAND_DARK, _BAND_LIGHT)
    label = SANDBOX_LABEL if len(SANDBOX_LABEL) * (GLYPH_WIDTH + 1) * scale < width - 8 else "SANDBOX"
    canvas.fill_rect(2, 2, len(label) * (GLYPH_WIDTH + 1) * scale + 4, band - 4, _BAND_DARK)
    canvas.text(4, 4, label, _BAND_LIGHT, scale)
    columns = max(8, (width - 8) // (GLYPH_WIDTH + 1))
    y = band + 4
    step = line_height()
    lines: list[tuple[str, Color]] = [(text, _MUTED) for text in wrap(model, columns)]
    lines += [(text, _TEXT) for text in wrap(prompt or "(no prompt)", columns)]
    lines += [(text, _MUTED) for param in _param_lines(params) for text in wrap(param, columns)]
    for text, color in lines:
        if y + step > height:
            break
        canvas.text(4, y, text, color)
        y += step
    return canvas
