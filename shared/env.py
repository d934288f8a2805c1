"""Settings fields read from environment variables, checked without a validation framework.

A settings class is a frozen dataclass that calls :func:`check_fields` after ``__init__``. Each field's
type says how a variable's text becomes a value (``str``, ``int``, ``float``, ``bool``, ``Decimal``,
``Path``, :class:`SecretStr`, a ``StrEnum``, each optionally ``| None``); :func:`setting` adds bounds,
a parser for the types no plain conversion covers, and a check that normalises or refuses the value.
A value already of the field's type (a test building settings directly) passes the same bounds.

Why not pydantic-settings: settings are read once at start, and pydantic with pydantic-settings stayed
in every process's memory for its whole life, about 8 MiB of PSS per process (seven processes).
"""

from __future__ import annotations

import dataclasses
import enum
import math
import os
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from shared.errors import ConfigError
from shared.redaction import mask_url_passwords
from shared.secret import SecretStr

__all__ = ["Rule", "check_fields", "field_types", "from_environ", "setting"]

_TRUE = {"1", "on", "t", "true", "y", "yes"}
_FALSE = {"0", "off", "f", "false", "n", "no"}
_SECRET_WORDS = ("TOKEN", "KEY", "SECRET", "PASSWORD")


@dataclass(frozen=True, slots=True)
class Rule:
    """What a field accepts beyond its type. ``parse`` reads a text value; ``check`` runs last."""

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    parse: Callable[[str], object] | None = None
    check: Callable[[Any], Any] | None = None


T = TypeVar("T")

_NO_RULE = Rule()
_FIELD_TYPES: dict[type, dict[str, Any]] = {}


def setting(
    default: Any = dataclasses.MISSING,
    *,
    default_factory: Callable[[], Any] | Any = dataclasses.MISSING,
    **rule: Any,
) -> Any:
    """A settings field with a default and a :class:`Rule` (bounds, parser, check)."""
    return dataclasses.field(
        default=default, default_factory=default_factory, metadata={"rule": Rule(**rule)}
    )


def field_types(cls: type) -> dict[str, Any]:
    """Each field's resolved type (annotations are strings under ``from __future__ import annotations``)."""
    kinds = _FIELD_TYPES.get(cls)
    if kinds is None:
        kinds = _FIELD_TYPES[cls] = get_type_hints(cls)
    return kinds


def from_environ(cls: type[T], environ: Mapping[str, str] | None = None) -> T:
    """Settings of class ``cls`` from the environment (or ``environ``): each field from the variable of
    its name (case-sensitive), the default where it is unset; any other variable is ignored."""
    source = os.environ if environ is None else environ
    values: dict[str, Any] = {name: source[name] for name in field_types(cls) if name in source}
    return cls(**values)


def check_fields(instance: Any) -> None:
    """Convert and check every field of a frozen dataclass in place; ConfigError names the first bad one."""
    kinds = field_types(type(instance))
    for field in dataclasses.fields(instance):
        value = getattr(instance, field.name)
        rule = field.metadata.get("rule", _NO_RULE)
        try:
            converted = _read(kinds[field.name], value, rule)
        except ValueError as exc:
            raise ConfigError(_describe(field.name, kinds[field.name], str(exc), value)) from None
        object.__setattr__(instance, field.name, converted)


def _read(kind: Any, value: object, rule: Rule) -> object:
    if rule.parse is not None and isinstance(value, str):
        value = rule.parse(value)
    kind, optional = _unwrap_optional(kind)
    if value is None:
        if optional:
            return None
        raise ValueError("a value is required")
    converted = _convert(kind, value)
    _check_bounds(converted, rule)
    return rule.check(converted) if rule.check is not None else converted


def _unwrap_optional(kind: Any) -> tuple[Any, bool]:
    if get_origin(kind) in (Union, types.UnionType):
        others = [arg for arg in get_args(kind) if arg is not type(None)]
        if len(others) == 1:
            return others[0], len(others) < len(get_args(kind))
    return kind, False


def _convert(kind: Any, value: object) -> object:
    converter = _CONVERTERS.get(kind)
    if converter is not None:
        return converter(value)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return _enum(kind, value)
    container = get_origin(kind) or kind
    if not isinstance(value, container):
        raise ValueError(f"expected a {container.__name__}")
    return value


def _string(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return value


def _secret(value: object) -> SecretStr:
    return value if isinstance(value, SecretStr) else SecretStr(_string(value))


def _integer(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("expected an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ValueError("expected an integer")


def _number(value: object) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            pass
        else:
            if not math.isnan(number):
                return number
    raise ValueError("expected a number")


def _decimal(value: object) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("expected a decimal number") from None
    if isinstance(value, bool) or not number.is_finite():
        raise ValueError("expected a decimal number")
    return number


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("expected a boolean: true/false, yes/no, on/off or 1/0")


def _path(value: object) -> Path:
    return value if isinstance(value, Path) else Path(_string(value))


def _enum(kind: type[enum.Enum], value: object) -> enum.Enum:
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(repr(member.value) for member in kind)
        raise ValueError(f"expected one of {choices}") from None


_CONVERTERS: dict[Any, Callable[[object], object]] = {
    str: _string,
    SecretStr: _secret,
    int: _integer,
    float: _number,
    Decimal: _decimal,
    bool: _boolean,
    Path: _path,
}


def _check_bounds(value: object, rule: Rule) -> None:
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        if rule.ge is not None and value < rule.ge:
            raise ValueError(f"expected at least {rule.ge}")
        if rule.gt is not None and value <= rule.gt:
            raise ValueError(f"expected more than {rule.gt}")
        if rule.le is not None and value > rule.le:
            raise ValueError(f"expected at most {rule.le}")
    if isinstance(value, (str, SecretStr)):
        if rule.min_length is not None and len(value) < rule.min_length:
            raise ValueError(f"expected {rule.min_length} or more characters")
        if rule.max_length is not None and len(value) > rule.max_length:
            raise ValueError(f"expected {rule.max_length} or fewer characters")


def _describe(name: str, kind: Any, message: str, value: object) -> str:
    secret = "SecretStr" in str(kind) or any(word in name for word in _SECRET_WORDS)
    shown = "" if secret else f" (got {value!r})"
    return mask_url_passwords(f"{name}: {message}{shown}")
