"""A screen the bot shows: a message text and its inline keyboard rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

__all__ = ["Button", "Screen", "grid"]


@dataclass(frozen=True, slots=True)
class Button:
    """One inline button: its label and callback_data."""

    text: str
    data: str


@dataclass(frozen=True, slots=True)
class Screen:
    """A message text with inline keyboard rows (possibly none)."""

    text: str
    rows: tuple[tuple[Button, ...], ...] = ()

    def markup(self) -> InlineKeyboardMarkup | None:
        """The PTB keyboard of this screen, or None when it has no buttons."""
        if not self.rows:
            return None
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in self.rows]
        )

    def buttons(self) -> Iterable[Button]:
        """Every button, row by row."""
        return (button for row in self.rows for button in row)


def grid(buttons: Sequence[Button], per_row: int) -> tuple[tuple[Button, ...], ...]:
    """Lay ``buttons`` out ``per_row`` to a row."""
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))
