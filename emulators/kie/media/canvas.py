"""An RGB raster with the few drawing operations result pictures need: fills, boxes and text."""

from __future__ import annotations

from .font import GLYPH_HEIGHT, GLYPH_WIDTH, glyph, to_drawable

__all__ = ["Canvas", "Color", "line_height", "wrap"]

Color = tuple[int, int, int]


class Canvas:
    """A width × height RGB image held as rows of bytes (3 bytes per pixel)."""

    def __init__(self, width: int, height: int, background: Color = (0, 0, 0)) -> None:
        if width <= 0 or height <= 0:
            raise ValueError("canvas size must be positive")
        self.width = width
        self.height = height
        self.rows = [bytearray(bytes(background) * width) for _ in range(height)]

    def pixel(self, x: int, y: int) -> Color:
        """The colour at (x, y)."""
        row = self.rows[y]
        return row[3 * x], row[3 * x + 1], row[3 * x + 2]

    def fill_rect(self, x: int, y: int, width: int, height: int, color: Color) -> None:
        """Paint a rectangle, clipped to the canvas."""
        x0, x1 = max(0, x), min(self.width, x + width)
        if x0 >= x1:
            return
        span = bytes(color) * (x1 - x0)
        for row in self.rows[max(0, y) : min(self.height, y + height)]:
            row[3 * x0 : 3 * x1] = span

    def stripes(self, y: int, height: int, first: Color, second: Color, period: int = 12) -> None:
        """Diagonal hazard stripes across the full width (the 'sandbox output' band)."""
        for dy in range(max(0, y), min(self.height, y + height)):
            row = self.rows[dy]
            for x in range(self.width):
                color = first if ((x + dy) // (period // 2)) % 2 == 0 else second
                row[3 * x : 3 * x + 3] = bytes(color)

    def text(self, x: int, y: int, text: str, color: Color, scale: int = 1) -> int:
        """Draw one line of text at (x, y); return the x after it. Non-ASCII is transliterated."""
        for char in to_drawable(text):
            for row_index, bits in enumerate(glyph(char)):
                for col in range(GLYPH_WIDTH):
                    if bits & (1 << (GLYPH_WIDTH - 1 - col)):
                        self.fill_rect(x + col * scale, y + row_index * scale, scale, scale, color)
            x += (GLYPH_WIDTH + 1) * scale
        return x

    def rgb(self) -> bytes:
        """All pixels, row after row."""
        return b"".join(self.rows)


def line_height(scale: int = 1) -> int:
    """Vertical distance between text lines."""
    return (GLYPH_HEIGHT + 2) * scale


def wrap(text: str, columns: int) -> list[str]:
    """Split `text` into lines of at most `columns` characters, breaking at spaces where possible."""
    words = to_drawable(text).split()
    lines: list[str] = []
    current = ""
    for word in words:
        while len(word) > columns:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:columns])
            word = word[columns:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) > columns:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines
