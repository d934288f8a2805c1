"""Checking request bodies against KIE's documented fields, answering KIE's 422s (kie-api.md §2.1, §8.3).

Market createTask bodies are checked against the docs table (`docs_table.py`): the model must be
documented, `input` must carry the model's required fields, and each documented field must respect
its enum, text limit, numeric range, item limit and media (URL) shape. Fields the docs do not name
are ignored, as KIE ignores them. Each refusal names the field: "input.aspect_ratio: ...".
The small helpers here are shared by the other families' checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .docs_table import DocField, DocModel, DocsTable, plain
from .errors import KieFailure

__all__ = [
    "CreateRequest",
    "check_enum",
    "check_number",
    "check_text",
    "invalid",
    "is_url",
    "parse_create_request",
    "require_object",
]


@dataclass(frozen=True)
class CreateRequest:
    """A createTask body that passed validation, with the model it names and its charge."""

    model: DocModel
    body: dict[str, Any]
    price: float


def invalid(msg: str) -> KieFailure:
    """KIE's validation error."""
    return KieFailure(422, msg)


def is_url(value: object) -> bool:
    """An absolute http(s) URL."""
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def require_object(body: object) -> dict[str, Any]:
    """The body as a JSON object, else 422."""
    if not isinstance(body, dict):
        raise invalid("Request body must be a JSON object")
    return body


def check_enum(name: str, value: object, allowed: tuple[str, ...] | list[str]) -> None:
    """422 unless `value` spells one of `allowed`."""
    if plain(value) not in allowed:
        raise invalid(f"{name}: must be one of {list(allowed)}, got {value!r}")


def check_text(name: str, value: object, max_length: int | None, *, required: bool = False) -> None:
    """422 unless `value` is a string within `max_length` (and non-blank when required)."""
    if not isinstance(value, str):
        raise invalid(f"{name}: must be a string")
    if required and not value.strip():
        raise invalid(f"{name}: is required")
    if max_length is not None and len(value) > max_length:
        raise invalid(f"{name}: must be at most {max_length} characters, got {len(value)}")


def check_number(name: str, value: object, low: float | None, high: float | None) -> None:
    """422 unless `value` is a number within [low, high]."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid(f"{name}: must be a number")
    if (low is not None and value < low) or (high is not None and value > high):
        raise invalid(f"{name}: must be between {low} and {high}, got {value}")


def parse_create_request(table: DocsTable, body: object) -> CreateRequest:
    """Validate a Market createTask body; KieFailure(422) names the offending field."""
    body = require_object(body)
    model_id = body.get("model")
    if not isinstance(model_id, str) or not model_id:
        raise invalid("model is required")
    model = table.get(model_id)
    if model is None:
        raise invalid(f"model '{model_id}' is not supported")
    callback = body.get("callBackUrl")
    if callback is not None and not is_url(callback):
        raise invalid("callBackUrl must be an http(s) URL")
    params = body.get("input")
    if params is None:
        raise invalid("input is required")
    if not isinstance(params, dict):
        raise invalid("input must be a JSON object")
    check_input(table, model, params)
    return CreateRequest(model=model, body=body, price=table.price(model, params))


def check_input(table: DocsTable, model: DocModel, params: Mapping[str, Any]) -> None:
    """Check every documented field of `params`; KieFailure(422) for the first bad one."""
    for name in model.required:
        value, spec = params.get(name), model.fields.get(name)
        empty_media = value == [] and spec is not None and spec.media
        if value is None or value == "" or empty_media:
            raise invalid(f"input.{name}: is required")
    for name, value in params.items():
        spec = model.fields.get(name)
        if spec is not None and value is not None:
            _check_field(table, spec, value)


def _check_field(table: DocsTable, spec: DocField, value: object) -> None:
    name = f"input.{spec.name}"
    if spec.voice:
        if not table.is_voice(value):
            raise invalid(f"{name}: not a documented voice id or preset name: {value!r}")
    elif spec.dialogue:
        _check_dialogue(table, name, value, spec.max_length)
    elif spec.media:
        _check_media(name, value, spec.max_items)
    elif spec.boolean:
        if not isinstance(value, bool):
            raise invalid(f"{name}: must be true or false")
    elif spec.enum is not None:
        check_enum(name, value, spec.enum)
    elif spec.minimum is not None or spec.maximum is not None:
        check_number(name, value, spec.minimum, spec.maximum)
    elif spec.max_length is not None:
        check_text(name, value, spec.max_length)


def _check_media(name: str, value: object, max_items: int | None) -> None:
    items = value if isinstance(value, list) else [value]
    if max_items is not None and len(items) > max_items:
        raise invalid(f"{name}: at most {max_items} items, got {len(items)}")
    for item in items:
        if not is_url(item):
            raise invalid(f"{name}: must be http(s) URLs of uploaded files, got {item!r}")


def _check_dialogue(table: DocsTable, name: str, value: object, max_length: int | None) -> None:
    if not isinstance(value, list) or not value:
        raise invalid(f"{name}: must be a non-empty list of {{text, voice}}")
    total = 0
    for index, line in enumerate(value):
        if not isinstance(line, dict) or not isinstance(line.get("text"), str):
            raise invalid(f"{name}[{index}].text: is required")
        if not table.is_voice(line.get("voice")):
            raise invalid(f"{name}[{index}].voice: not a documented voice id or preset name")
        total += len(line["text"])
    if max_length is not None and total > max_length:
        raise invalid(f"{name}: texts must total at most {max_length} characters, got {total}")
