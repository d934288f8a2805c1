"""Semantic checks of a parsed registry: every rule the JSON types alone cannot express.

Each check raises `RegistryError` naming the model id and the field (an input field name,
or a dotted path such as `price.rates[0].when.resolution`).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from shared.catalog.errors import RegistryError
from shared.catalog.inputs import value_problem
from shared.catalog.parsing import CatalogData
from shared.catalog.schema import (
    FOLLOW_UPS,
    Condition,
    Field,
    FieldKind,
    Model,
    Price,
    PriceUnit,
    Rule,
    scalar_equal,
)

__all__ = ["check_catalog", "check_model"]


def _fail(model: Model, field: str, reason: str) -> RegistryError:
    return RegistryError(reason, model_id=model.id, field=field)


def check_catalog(data: CatalogData) -> None:
    """Check the whole catalogue: unique ids, labelled types and every model."""
    seen: set[str] = set()
    for model in data.models:
        if model.id in seen:
            raise _fail(model, "id", "duplicate model id")
        seen.add(model.id)
        if model.type not in data.type_labels:
            raise _fail(model, "type", f"type {model.type.value!r} has no menu label under 'types'")
        if model.price.source not in data.price_sources:
            raise _fail(model, "price.source", f"{model.price.source!r} is not listed under 'price_sources'")
        check_model(model)
        _check_follow_ups(model, data.price_sources)
    _check_defaults(data)


def _check_follow_ups(model: Model, sources: frozenset[str]) -> None:
    """A follow-up its route's API offers, priced per task from a listed source."""
    for action, price in model.follow_ups:
        path = f"follow_ups.{action.value}"
        if action not in FOLLOW_UPS.get(model.route, frozenset()):
            raise _fail(model, path, f"the {model.route.value} API has no {action.value!r} follow-up")
        if price.source not in sources:
            raise _fail(model, f"{path}.source", f"{price.source!r} is not listed under 'price_sources'")
        if price.unit is not PriceUnit.TASK or price.unit_param is not None or price.seconds is not None:
            raise _fail(model, f"{path}.unit", "a follow-up is priced per task")
        _check_price(model, price)


def _check_defaults(data: CatalogData) -> None:
    """A default of another type is a mistake; a missing one (dropped by a refresh) falls back."""
    types = {model.id: model.type for model in data.models}
    for gen_type, model_id in data.default_models.items():
        if model_id in types and types[model_id] is not gen_type:
            reason = f"default model {model_id!r} is not a {gen_type.value} model"
            raise RegistryError(reason, field=f"default_models.{gen_type}")


def check_model(model: Model) -> None:
    """Check one model's timings, input fields, rules and price."""
    if model.typical_seconds <= 0:
        raise _fail(model, "typical_seconds", "must be positive")
    if model.time_limit_seconds < model.typical_seconds:
        raise _fail(model, "time_limit_seconds", "must not be below typical_seconds")
    if not model.fields:
        raise _fail(model, "input", "a model needs at least one input field")
    names: set[str] = set()
    for field in model.fields:
        if field.name in names:
            raise _fail(model, field.name, "duplicate input field")
        names.add(field.name)
        _check_field(model, field)
    for index, rule in enumerate(model.rules):
        _check_rule(model, rule, f"rules[{index}]")
    _check_price(model, model.price)


# --- input fields -----------------------------------------------------------------------------


def _check_field(model: Model, field: Field) -> None:
    if field.values and field.kind is not FieldKind.ENUM:
        raise _fail(model, field.name, f"values are only allowed on enum fields, not {field.kind.value}")
    _FIELD_CHECKS.get(field.kind, _check_media)(model, field)


def _check_enum(model: Model, field: Field) -> None:
    if not field.values:
        raise _fail(model, field.name, "enum needs at least one value")
    if len({repr(value) for value in field.values}) != len(field.values):
        raise _fail(model, field.name, "enum values must be unique")
    if field.default is not None and not _in_values(field.default, field):
        raise _fail(model, field.name, f"default {field.default!r} is not one of {list(field.values)!r}")


def _check_number(model: Model, field: Field) -> None:
    low, high = field.minimum, field.maximum
    if low is not None and high is not None and low > high:
        raise _fail(model, field.name, f"min {low:g} is greater than max {high:g}")
    _check_default(model, field)


def _check_default(model: Model, field: Field) -> None:
    if field.default is None:
        return
    problem = value_problem(field, field.default)
    if problem is not None:
        raise _fail(model, field.name, f"default {field.default!r}: {problem}")


def _check_text(model: Model, field: Field) -> None:
    if field.max_length is not None and field.max_length <= 0:
        raise _fail(model, field.name, "max_length must be positive")
    _check_default(model, field)


def _check_items(model: Model, field: Field) -> None:
    low, high = field.min_items, field.max_items
    if low is None or high is None:
        raise _fail(model, field.name, "a list field needs min_items and max_items")
    if low < 0 or high < 1 or low > high:
        raise _fail(model, field.name, f"min_items {low} / max_items {high} is not a valid range")
    if field.required and low < 1:
        raise _fail(model, field.name, "a required list field needs min_items >= 1")


def _check_media(model: Model, field: Field) -> None:
    if field.default is not None:
        raise _fail(model, field.name, "media fields cannot have a default")
    if field.multiple:
        _check_items(model, field)
    elif field.min_items is not None or field.max_items is not None:
        raise _fail(model, field.name, "min_items/max_items need multiple: true")


def _check_dialogue(model: Model, field: Field) -> None:
    _check_items(model, field)
    if not field.voices:
        raise _fail(model, field.name, "a dialogue field needs its list of voices")
    _check_text(model, field)


_FIELD_CHECKS: dict[FieldKind, Callable[[Model, Field], None]] = {
    FieldKind.ENUM: _check_enum,
    FieldKind.INT: _check_number,
    FieldKind.FLOAT: _check_number,
    FieldKind.BOOL: _check_default,
    FieldKind.TEXT: _check_text,
    FieldKind.DIALOGUE: _check_dialogue,
}


def _in_values(value: object, field: Field) -> bool:
    return any(scalar_equal(value, allowed) for allowed in field.values)


# --- conditions, rules and prices -------------------------------------------------------------


def _check_condition(model: Model, condition: Condition, path: str) -> None:
    for name, value in condition.terms:
        field = model.field(name)
        where = f"{path}.{name}"
        if field is None:
            raise _fail(model, where, "refers to an unknown input field")
        if field.kind is FieldKind.ENUM:
            if not _in_values(value, field):
                raise _fail(model, where, f"value {value!r} is not one of {list(field.values)!r}")
        elif field.kind is FieldKind.BOOL:
            if not isinstance(value, bool):
                raise _fail(model, where, f"value {value!r} is not a boolean")
        else:
            raise _fail(model, where, f"conditions may only test enum or bool fields, not {field.kind.value}")


def _check_rule(model: Model, rule: Rule, path: str) -> None:
    _check_condition(model, rule.when, f"{path}.when")
    for name in rule.require:
        if model.field(name) is None:
            raise _fail(model, f"{path}.require", f"refers to unknown input field {name!r}")
    for name, limit in rule.max_length:
        field = model.field(name)
        if field is None or field.kind is not FieldKind.TEXT:
            raise _fail(model, f"{path}.max_length.{name}", "must refer to a text field")
        if limit <= 0:
            raise _fail(model, f"{path}.max_length.{name}", "must be positive")


def _check_price(model: Model, price: Price) -> None:
    _positive(model, "price.base", price.base)
    for index, rate in enumerate(price.rates):
        _positive(model, f"price.rates[{index}].base", rate.base)
        _check_condition(model, rate.when, f"price.rates[{index}].when")
    for index, factor in enumerate(price.factors):
        _positive(model, f"price.factors[{index}].factor", factor.factor)
        _check_condition(model, factor.when, f"price.factors[{index}].when")
    _check_units(model, price)


def _positive(model: Model, path: str, amount: Decimal) -> None:
    if not amount.is_finite() or amount <= 0:
        raise _fail(model, path, f"price must be positive, got {amount}")


_UNIT_KINDS: dict[PriceUnit, frozenset[FieldKind]] = {
    PriceUnit.TASK: frozenset(),
    PriceUnit.IMAGE: frozenset({FieldKind.ENUM, FieldKind.INT}),
    PriceUnit.SECOND: frozenset({FieldKind.ENUM, FieldKind.INT}),
    PriceUnit.CHARS_1000: frozenset({FieldKind.TEXT, FieldKind.DIALOGUE}),
}


def _check_units(model: Model, price: Price) -> None:
    if price.seconds is not None and (price.unit is not PriceUnit.SECOND or price.seconds <= 0):
        raise _fail(model, "price.seconds", "only a per-second price takes a positive fixed length")
    if price.unit_param is None:
        if price.unit in (PriceUnit.CHARS_1000, PriceUnit.SECOND) and price.seconds is None:
            raise _fail(model, "price.unit_param", f"a {price.unit.value} price needs unit_param")
        return
    field = model.field(price.unit_param)
    if field is None:
        raise _fail(model, "price.unit_param", f"refers to unknown input field {price.unit_param!r}")
    if field.kind not in _UNIT_KINDS[price.unit] or price.seconds is not None:
        raise _fail(model, "price.unit_param", f"a {field.kind.value} field cannot count {price.unit.value}s")
    if not field.required and field.default is None:
        raise _fail(model, "price.unit_param", "the counting field must be required or have a default")
    if field.kind is FieldKind.ENUM and not all(_positive_count(value) for value in field.values):
        raise _fail(model, "price.unit_param", "every value of a counting enum must be a positive number")
    if field.kind is FieldKind.INT and (field.minimum is None or field.minimum <= 0):
        raise _fail(model, "price.unit_param", "a counting int field needs min > 0")


def _positive_count(value: object) -> bool:
    if isinstance(value, bool):
        return False
    try:
        return Decimal(str(value)) > 0
    except ArithmeticError:
        return False
