"""A string that never shows itself: printed, logged or repr'd it reads ``**********``.

Settings hold tokens and keys as :class:`SecretStr`; code that needs the value asks for it by name
(``get_secret_value()``), so a settings object can be logged or shown in a traceback safely.
"""

from __future__ import annotations

__all__ = ["SecretStr"]

_MASK = "**********"


class SecretStr:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __len__(self) -> int:
        return len(self._value)

    def __str__(self) -> str:
        return _MASK if self._value else ""

    def __repr__(self) -> str:
        return f"SecretStr('{self}')"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)
