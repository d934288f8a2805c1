"""Errors of the KIE emulator.

EmulatorError      misuse of the control / Python API (answered 400 on the control routes)
KieFailure         an error answer of the KIE API, carried as data: body `code` and `msg`
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "INSUFFICIENT_CREDITS",
    "NO_ACCESS",
    "RATE_LIMITED",
    "RECORD_IS_NULL",
    "EmulatorError",
    "KieFailure",
]

NO_ACCESS = "You do not have access permissions"
INSUFFICIENT_CREDITS = "The current credits are insufficient. Please top up."
RECORD_IS_NULL = "recordInfo is null"
RATE_LIMITED = "Rate limit exceeded"


class EmulatorError(Exception):
    """A control call or simulation request that cannot be carried out."""


class KieFailure(Exception):
    """A KIE error answer: `{"code": code, "msg": msg, "data": null}` (HTTP 200 unless mirrored)."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg

    def envelope(self) -> dict[str, Any]:
        """The body KIE answers with."""
        return {"code": self.code, "msg": self.msg, "data": None}
