"""Turn the registry's JSON document into typed catalogue objects, checking shapes and JSON types.

Semantic checks (defaults inside limits, price rules that point at real values, …) live in
`checks`; this module only guarantees that every value has the JSON type its key promises.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from shared.catalog.errors import RegistryError
from shared.catalog.schema import (
    Condition,
    Field,
    FieldKind,
    FollowUp,
    GenType,
    Localized,
    Model,
    Price,
    PriceFactor,
    PriceRate,
    PriceUnit,
    Route,
    Rule,
    Scalar,
)

__all__ = ["CatalogData", "parse_document"]

_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class CatalogData:
    """The parsed registry: models in file order, menu labels per type, and the credit rate."""

    models: tuple[Model, ...]
    type_labels: Mapping[GenType, Localized]
    usd_per_credit: Decimal
    price_sources: frozenset[str]
    default_models: Mapping[GenType, str] = field(default_factory=dict)


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


class _Reader:
    """Reads keys of one JSON object, raising `RegistryError` that names the model and field."""

    def __init__(self, raw: object, model_id: str | None, path: str, *, flat: bool = False) -> None:
        if not isinstance(raw, dict):
            raise RegistryError(f"expected an object, got {_type_name(raw)}", model_id=model_id, field=path)
        self.raw: dict[str, Any] = raw
        self.model_id = model_id
        self.path = path
        self.flat = flat

    def error(self, key: str, reason: str) -> RegistryError:
        """Build an error about `key` of this object."""
        if self.flat:
            reason = f"{key}: {reason}"
        return RegistryError(reason, model_id=self.model_id, field=self.field_name(key))

    def field_name(self, key: str) -> str:
        """The path named in errors: the object's own path when flat, else the dotted path of `key`."""
        if self.flat:
            return self.path
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = _MISSING) -> Any:
        """Return `raw[key]` checked against `kind`; `default` makes the key optional."""
        if key not in self.raw or self.raw[key] is None:
            if default is _MISSING:
                raise self.error(key, "missing required key")
            return default
        value = self.raw[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            raise self.error(key, f"expected {_names(kinds)}, got bool")
        if not isinstance(value, kinds):
            raise self.error(key, f"expected {_names(kinds)}, got {_type_name(value)}")
        return value

    def text(self, key: str, default: Any = _MISSING) -> Any:
        """Return a non-empty string."""
        value = self.get(key, str, default)
        if isinstance(value, str) and not value.strip():
            raise self.error(key, "must not be empty")
        return value

    def number(self, key: str, default: Any = _MISSING) -> Decimal | None:
        """Return a JSON number as an exact Decimal."""
        value = self.get(key, (int, float), default)
        return None if value is None else Decimal(str(value))

    def only(self, allowed: frozenset[str]) -> None:
        """Reject keys outside `allowed`, so a misspelt key cannot be silently ignored."""
        for key in self.raw:
            if key not in allowed:
                raise self.error(key, f"unknown key; expected one of {sorted(allowed)!r}")

    def strings(self, key: str) -> tuple[str, ...]:
        """Return an optional list of non-empty strings."""
        items = self.get(key, list, [])
        if not all(isinstance(item, str) and item for item in items):
            raise self.error(key, "expected a list of non-empty strings")
        return tuple(items)

    def choice(self, key: str, enum: type[Any]) -> Any:
        """Return a member of the string enum `enum`."""
        value = self.text(key)
        try:
            return enum(value)
        except ValueError:
            known = [member.value for member in enum]
            raise self.error(key, f"unknown value {value!r}; known: {known!r}") from None


def _names(kinds: tuple[type, ...]) -> str:
    return " or ".join(_JSON_NAMES.get(kind, kind.__name__) for kind in kinds)


_FIELD_KEYS = frozenset(
    {"name", "kind", "required", "default", "values", "min", "max", "max_length", "multiple", "min_items"}
    | {"max_items", "voices"}
)
_MODEL_KEYS = frozenset(
    {"id", "type", "route", "name", "description", "typical_seconds", "time_limit_seconds", "input"}
    | {"rules", "price", "notes", "follow_ups"}
)
_PRICE_KEYS = frozenset({"unit", "unit_param", "seconds", "base", "rates", "factors", "source", "note"})
_JSON_NAMES = {str: "string", int: "integer", float: "number", bool: "boolean", list: "array", dict: "object"}
_SCALARS = (str, int, float, bool)


def _localized(reader: _Reader, key: str) -> Localized:
    sub = _Reader(reader.get(key, dict), reader.model_id, reader.field_name(key))
    return Localized(ru=sub.text("ru"), en=sub.text("en"))


def _scalars(reader: _Reader, key: str) -> tuple[Scalar, ...]:
    items = reader.get(key, list, [])
    for item in items:
        if not isinstance(item, _SCALARS):
            raise reader.error(key, f"values must be scalars, got {_type_name(item)}")
    return tuple(items)


def _int_or_none(reader: _Reader, key: str) -> int | None:
    value: int | None = reader.get(key, int, None)
    return value


def _float_or_none(reader: _Reader, key: str) -> float | None:
    value = reader.number(key, None)
    return None if value is None else float(value)


def parse_field(raw: object, model_id: str, index: int) -> Field:
    """Parse one entry of a model's `input` list; errors name the input field."""
    name = raw.get("name") if isinstance(raw, dict) else None
    path = name if isinstance(name, str) and name else f"input[{index}]"
    reader = _Reader(raw, model_id, path, flat=True)
    reader.only(_FIELD_KEYS)
    kind = reader.choice("kind", FieldKind)
    return Field(
        name=reader.text("name"),
        kind=kind,
        required=reader.get("required", bool),
        default=reader.get("default", _SCALARS, None),
        values=_scalars(reader, "values"),
        minimum=_float_or_none(reader, "min"),
        maximum=_float_or_none(reader, "max"),
        max_length=_int_or_none(reader, "max_length"),
        multiple=reader.get("multiple", bool, False),
        min_items=_int_or_none(reader, "min_items"),
        max_items=_int_or_none(reader, "max_items"),
        voices=reader.strings("voices"),
    )


def _condition(reader: _Reader, key: str = "when") -> Condition:
    raw = reader.get(key, dict)
    if not raw:
        raise reader.error(key, "must name at least one field")
    for value in raw.values():
        if not isinstance(value, _SCALARS):
            raise reader.error(key, f"condition values must be scalars, got {_type_name(value)}")
    # Sorted, so a condition reads the same after the snapshot's canonical (sorted-key) JSON.
    return Condition(terms=tuple(sorted(raw.items())))


def _rule(raw: object, model_id: str, index: int) -> Rule:
    reader = _Reader(raw, model_id, f"rules[{index}]")
    reader.only(frozenset({"when", "require", "max_length"}))
    limits = reader.get("max_length", dict, {})
    for name, limit in limits.items():
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise reader.error(f"max_length.{name}", "expected integer")
    return Rule(when=_condition(reader), require=reader.strings("require"), max_length=tuple(limits.items()))


def parse_price(raw: object, model_id: str, path: str = "price") -> Price:
    """Parse a model's `price` object (or a follow-up's, at `path`)."""
    reader = _Reader(raw, model_id, path)
    reader.only(_PRICE_KEYS)
    rates = []
    for index, item in enumerate(reader.get("rates", list, [])):
        sub = _Reader(item, model_id, f"{path}.rates[{index}]")
        sub.only(frozenset({"when", "base"}))
        rates.append(PriceRate(when=_condition(sub), base=_required_number(sub, "base")))
    factors = []
    for index, item in enumerate(reader.get("factors", list, [])):
        sub = _Reader(item, model_id, f"{path}.factors[{index}]")
        sub.only(frozenset({"when", "factor"}))
        factors.append(PriceFactor(when=_condition(sub), factor=_required_number(sub, "factor")))
    return Price(
        unit=reader.choice("unit", PriceUnit),
        base=_required_number(reader, "base"),
        source=reader.text("source"),
        rates=tuple(rates),
        factors=tuple(factors),
        unit_param=reader.text("unit_param", None),
        seconds=_int_or_none(reader, "seconds"),
        note=reader.text("note", None),
    )


def _required_number(reader: _Reader, key: str) -> Decimal:
    value = reader.number(key)
    assert value is not None  # `number` without a default never returns None
    return value


def parse_model(raw: object, index: int) -> Model:
    """Parse one entry of the `models` list."""
    probe = _Reader(raw, None, f"models[{index}]")
    model_id: str = probe.text("id")
    reader = _Reader(raw, model_id, "")
    reader.only(_MODEL_KEYS)
    fields = reader.get("input", list)
    return Model(
        id=model_id,
        type=reader.choice("type", GenType),
        route=reader.choice("route", Route),
        name=_localized(reader, "name"),
        description=_localized(reader, "description"),
        typical_seconds=reader.get("typical_seconds", int),
        time_limit_seconds=reader.get("time_limit_seconds", int),
        fields=tuple(parse_field(item, model_id, i) for i, item in enumerate(fields)),
        price=parse_price(reader.get("price", dict), model_id),
        rules=tuple(_rule(item, model_id, i) for i, item in enumerate(reader.get("rules", list, []))),
        notes=reader.text("notes", None),
        follow_ups=_follow_ups(reader),
    )


def _follow_ups(reader: _Reader) -> tuple[tuple[FollowUp, Price], ...]:
    """The optional `follow_ups` object: follow-up name → its price object."""
    raw = reader.get("follow_ups", dict, {})
    priced = []
    for name, price in raw.items():
        try:
            action = FollowUp(name)
        except ValueError:
            known = [member.value for member in FollowUp]
            raise reader.error(f"follow_ups.{name}", f"unknown follow-up; known: {known!r}") from None
        priced.append((action, parse_price(price, reader.model_id or "", f"follow_ups.{name}")))
    return tuple(priced)


def _type_labels(reader: _Reader) -> Mapping[GenType, Localized]:
    raw = reader.get("types", dict)
    labels: dict[GenType, Localized] = {}
    for key in raw:
        try:
            gen_type = GenType(key)
        except ValueError:
            raise reader.error(f"types.{key}", "unknown generation type") from None
        labels[gen_type] = _localized(_Reader(raw, None, "types"), key)
    return MappingProxyType(labels)


def _default_models(reader: _Reader) -> Mapping[GenType, str]:
    """The operator's default model per type (optional): the one the quick path starts with."""
    raw = reader.get("default_models", dict, {})
    chosen: dict[GenType, str] = {}
    for key, model_id in raw.items():
        try:
            gen_type = GenType(key)
        except ValueError:
            raise reader.error(f"default_models.{key}", "unknown generation type") from None
        if not isinstance(model_id, str):
            raise reader.error(f"default_models.{key}", f"expected a model id, got {_type_name(model_id)}")
        chosen[gen_type] = model_id
    return MappingProxyType(chosen)


def parse_document(document: object) -> CatalogData:
    """Parse the whole registry document; raises `RegistryError` on the first malformed value."""
    reader = _Reader(document, None, "")
    credits = _Reader(reader.get("credits", dict), None, "credits")
    rate = _required_number(credits, "usd_per_credit")
    if rate <= 0:
        raise credits.error("usd_per_credit", "must be positive")
    models = tuple(parse_model(item, i) for i, item in enumerate(reader.get("models", list)))
    sources = _price_sources(reader.get("price_sources", dict))
    labels = _type_labels(reader)
    defaults = _default_models(reader)
    return CatalogData(
        models=models, type_labels=labels, usd_per_credit=rate, price_sources=sources, default_models=defaults
    )


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _price_sources(raw: Mapping[str, Any]) -> frozenset[str]:
    """The source keys; an object value must name its `page` and `date` (YYYY-MM-DD)."""
    for key, value in raw.items():
        if isinstance(value, str):
            continue
        page = value.get("page") if isinstance(value, Mapping) else None
        date = value.get("date") if isinstance(value, Mapping) else None
        if not isinstance(page, str) or not page or not isinstance(date, str) or not _DATE.match(date):
            raise RegistryError(
                "needs a text, or an object with page and date (YYYY-MM-DD)", field=f"price_sources.{key}"
            )
    return frozenset(raw)
