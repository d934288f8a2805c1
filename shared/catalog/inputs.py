"""Check generation parameters against a model's input schema (KIE emulator 422s, bot wizard).

Unknown keys are ignored, as KIE ignores them. Presence is checked on the parameters as given:
a required field with a default must still be sent (the wizard starts from `default_params`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from shared.catalog.errors import InputError
from shared.catalog.pricing import default_params
from shared.catalog.schema import Field, FieldKind, Model, scalar_equal

__all__ = ["validate_input", "value_problem"]

Checker = Callable[[Field, object, int | None], str | None]
"""Returns why `value` is invalid for the field, or None; the int is a rule-tightened max length."""


def validate_input(model: Model, data: object) -> None:
    """Raise `InputError` naming the first field of `data` that breaks `model`'s schema."""
    if not isinstance(data, Mapping):
        raise InputError(model.id, "input", "must be an object")
    present = {key: value for key, value in data.items() if value is not None}
    required, limits = _active_rules(model, {**default_params(model), **present})
    for field in model.fields:
        if field.name not in present:
            if field.required or field.name in required:
                raise InputError(model.id, field.name, "is required")
            continue
        reason = _CHECKERS[field.kind](field, present[field.name], limits.get(field.name))
        if reason is not None:
            raise InputError(model.id, field.name, reason)


def value_problem(field: Field, value: object) -> str | None:
    """Return why a present `value` is invalid for `field` (ignoring conditional rules), or None."""
    return _CHECKERS[field.kind](field, value, None)


def _active_rules(model: Model, params: Mapping[str, object]) -> tuple[set[str], dict[str, int]]:
    required: set[str] = set()
    limits: dict[str, int] = {}
    for rule in model.rules:
        if rule.when.matches(params):
            required.update(rule.require)
            for name, limit in rule.max_length:
                limits[name] = min(limit, limits.get(name, limit))
    return required, limits


def _max_length(field: Field, tightened: int | None) -> int | None:
    if field.max_length is None:
        return tightened
    return field.max_length if tightened is None else min(field.max_length, tightened)


def _check_text(field: Field, value: object, tightened: int | None) -> str | None:
    if not isinstance(value, str):
        return f"must be a string, got {type(value).__name__}"
    if field.required and not value.strip():
        return "must not be empty"
    limit = _max_length(field, tightened)
    if limit is not None and len(value) > limit:
        return f"is {len(value)} characters long; the limit is {limit}"
    return None


def _check_enum(field: Field, value: object, _: int | None) -> str | None:
    if any(scalar_equal(value, allowed) for allowed in field.values):
        return None
    return f"{value!r} is not one of {list(field.values)!r}"


def _check_number(field: Field, value: object, _: int | None) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"must be a number, got {value!r}"
    if field.kind is FieldKind.INT and not isinstance(value, int):
        return f"must be an integer, got {value!r}"
    if field.minimum is not None and value < field.minimum:
        return f"{value!r} is below the minimum {field.minimum:g}"
    if field.maximum is not None and value > field.maximum:
        return f"{value!r} is above the maximum {field.maximum:g}"
    return None


def _check_bool(field: Field, value: object, _: int | None) -> str | None:
    return None if isinstance(value, bool) else f"must be true or false, got {value!r}"


def _is_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _check_count(field: Field, value: object) -> str | None:
    if not isinstance(value, list):
        return f"must be a list, got {type(value).__name__}"
    low, high = field.min_items or 0, field.max_items
    if len(value) < low:
        return f"needs at least {low} item(s), got {len(value)}"
    if high is not None and len(value) > high:
        return f"takes at most {high} item(s), got {len(value)}"
    return None


def _check_media(field: Field, value: object, _: int | None) -> str | None:
    if not field.multiple:
        return None if _is_url(value) else f"must be an http(s) URL of the {field.kind.value}"
    problem = _check_count(field, value)
    if problem is not None:
        return problem
    assert isinstance(value, list)
    bad = next((i for i, item in enumerate(value) if not _is_url(item)), None)
    return None if bad is None else f"item {bad} must be an http(s) URL of the {field.kind.value}"


def _check_dialogue(field: Field, value: object, _: int | None) -> str | None:
    problem = _check_count(field, value)
    if problem is not None:
        return problem
    assert isinstance(value, list)
    for index, line in enumerate(value):
        if not isinstance(line, dict) or not isinstance(line.get("text"), str) or not line["text"].strip():
            return f"line {index} needs a non-empty 'text'"
        if line.get("voice") not in field.voices:
            return f"line {index} has an unknown voice {line.get('voice')!r}"
    total = sum(len(line["text"]) for line in value)
    if field.max_length is not None and total > field.max_length:
        return f"is {total} characters long in total; the limit is {field.max_length}"
    return None


_CHECKERS: dict[FieldKind, Checker] = {
    FieldKind.TEXT: _check_text,
    FieldKind.ENUM: _check_enum,
    FieldKind.INT: _check_number,
    FieldKind.FLOAT: _check_number,
    FieldKind.BOOL: _check_bool,
    FieldKind.IMAGE: _check_media,
    FieldKind.VIDEO: _check_media,
    FieldKind.AUDIO: _check_media,
    FieldKind.DIALOGUE: _check_dialogue,
}
