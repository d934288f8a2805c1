"""The compact ``callback_data`` scheme: ``op:arg:arg``, ASCII, never over Telegram's 64 bytes.

Wizard buttons carry the wizard's session id and step number, so a press on a button of an earlier
screen is recognised as stale instead of changing the wrong step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from uuid import UUID

from shared.catalog import GenType
from shared.errors import TrtError

__all__ = [
    "BUY_NEED",
    "CHAIN_TYPES",
    "JOB_CANCEL",
    "JOB_NEW",
    "JOB_REGENERATE",
    "JOB_SETTINGS",
    "MAX_CALLBACK_BYTES",
    "TYPE_LIST",
    "Callback",
    "CallbackTooLong",
    "Op",
    "buy_data",
    "decode",
    "encode",
    "job_ref",
]

MAX_CALLBACK_BYTES = 64
"""Telegram rejects callback_data longer than this (BUTTON_DATA_INVALID)."""

_SEPARATOR = ":"

JOB_REF_CHARS = 12
"""Hex digits of a job id that buttons carry: unique among one user's jobs, short enough to fit."""


class Op(StrEnum):
    """What a button does; the first segment of its callback_data."""

    MENU = "mm"
    TYPE = "t"
    MODEL = "m"
    USE = "u"
    STEP = "w"
    CONFIRM = "c"
    HISTORY = "h"
    BALANCE = "b"
    SETTINGS = "s"
    LANGUAGE = "l"
    HELP = "hp"
    JOB = "j"
    BUY = "by"
    DRAFT = "d"
    PHOTO = "p"
    INLINE = "il"
    FOLLOW = "f"


class CallbackTooLong(TrtError, ValueError):
    """An encoded callback_data would exceed 64 bytes; a design error caught in tests."""


@dataclass(frozen=True, slots=True)
class Callback:
    """A decoded button press: the operation and its arguments."""

    op: Op
    args: tuple[str, ...]

    def arg(self, index: int) -> str | None:
        """The argument at ``index``, or None when the press carried fewer."""
        return self.args[index] if index < len(self.args) else None


def encode(op: Op, *args: str | int) -> str:
    """Encode a button's callback_data; raises CallbackTooLong past Telegram's limit."""
    data = _SEPARATOR.join([op.value, *(str(arg) for arg in args)])
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise CallbackTooLong(data)
    return data


def decode(data: str | None) -> Callback | None:
    """Decode callback_data; None for anything this scheme did not produce."""
    if not data:
        return None
    head, *rest = data.split(_SEPARATOR)
    try:
        op = Op(head)
    except ValueError:
        return None
    return Callback(op, tuple(rest))


BUY_NEED = "n"
"""First argument of a Buy button that lists the packs, marking the smallest covering what follows it."""


def buy_data(missing: int = 0) -> str:
    """callback_data of a Buy button for a shortfall of ``missing`` credits (0: just the packs)."""
    return encode(Op.BUY, f"{BUY_NEED}{max(missing, 0)}")


TYPE_LIST = "-"
"""Second argument of a type button that lists its models (without it the type starts its usual model)."""

JOB_CANCEL = "x"
JOB_REGENERATE = "r"
JOB_NEW = "n"
JOB_SETTINGS = "e"
CHAIN_TYPES: Mapping[str, GenType] = MappingProxyType(
    {"a": GenType.IMAGE_TO_VIDEO, "u": GenType.UPSCALE, "b": GenType.BACKGROUND_REMOVAL}
)
"""Result buttons that take a picture result into another type: animate, upscale, remove background."""


def job_ref(job_id: UUID) -> str:
    """The short reference to a job that buttons carry (looked up among the user's own jobs)."""
    return job_id.hex[:JOB_REF_CHARS]
