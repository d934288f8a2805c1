"""Readers of KIE's loosely typed fields, shared by every family's record parser (kie-api.md §2.2, §4).

KIE sends JSON inside strings (`param`, `resultJson`, `paramJson`), numbers as strings, timestamps as
Unix milliseconds on some APIs and ISO text on others, and `""` or null for "nothing". These readers
turn each into one Python type or None, so a parser never has to guess twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from shared.kie.errors import KieProtocolError

__all__ = ["as_datetime", "as_int", "as_number", "as_text", "json_object", "mapping", "url_list"]


def json_object(raw: object, name: str, task_id: str) -> Mapping[str, Any]:
    """Decode a JSON-in-string field; `""` and null mean empty; an object passes through."""
    if raw is None or raw == "":
        return {}
    if isinstance(raw, Mapping):
        return raw
    if not isinstance(raw, str):
        raise KieProtocolError(f"{name} is {type(raw).__name__}, not a JSON string", task_id=task_id)
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise KieProtocolError(f"{name} is not valid JSON", task_id=task_id) from exc
    if not isinstance(value, Mapping):
        raise KieProtocolError(f"{name} is not a JSON object", task_id=task_id)
    return value


def mapping(value: object) -> Mapping[str, Any]:
    """`value` when it is an object, else an empty one (absent and null sub-objects read alike)."""
    return value if isinstance(value, Mapping) else {}


def as_text(value: object) -> str | None:
    """A string as is, a number as its text, anything else None."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def as_number(value: object) -> float | None:
    """A number, or a string holding one; anything else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def as_int(value: object) -> int | None:
    """`as_number` truncated to an int."""
    number = as_number(value)
    return None if number is None else int(number)


def as_datetime(value: object) -> datetime | None:
    """Unix milliseconds (number or digits) or ISO 8601 text as an aware datetime; else None."""
    millis = as_number(value)
    if millis is not None:
        return datetime.fromtimestamp(millis / 1000.0, tz=UTC) if millis > 0 else None
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def url_list(value: object) -> tuple[str, ...]:
    """The non-empty strings of a list (KIE's `resultUrls`); anything else is no URL."""
    if not isinstance(value, list):
        return ()
    return tuple(item for item in value if isinstance(item, str) and item)
