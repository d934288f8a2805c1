"""Compute a model's price in KIE credits from its declarative `Price` and a parameter set.

credits = ceil(rate × factors × units), at least 1, where `rate` is the first matching rate's base
(else the price's base), `factors` multiplies every matching factor, and `units` counts seconds,
1000-character blocks or images according to the price unit.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from decimal import ROUND_CEILING, Decimal

from shared.catalog.errors import InputError
from shared.catalog.schema import Field, FieldKind, Model, Price, PriceUnit, Scalar

__all__ = ["default_params", "follow_up_price", "model_price", "starting_price"]

_THOUSAND = Decimal(1000)


def default_params(model: Model) -> dict[str, Scalar]:
    """Return every input field's default value (fields without a default are left out)."""
    return {field.name: field.default for field in model.fields if field.default is not None}


def model_price(model: Model, params: Mapping[str, object]) -> int:
    """Return the price in whole credits of running `model` with `params` (defaults fill the gaps)."""
    merged = {**default_params(model), **params}
    return _to_credits(_rate(model, merged) * _units(model, merged))


def follow_up_price(model: Model, price: Price, params: Mapping[str, object]) -> int:
    """The price in whole credits of a follow-up priced `price` on a result of `model` made with
    `params` (its rates may depend on the original's settings, e.g. Midjourney's speed)."""
    merged = {**default_params(model), **params}
    return _to_credits(_price_rate(price, merged))


def starting_price(model: Model) -> int:
    """Return the lowest price over every choice that changes the price (the menu's "from" price)."""
    return min(
        _to_credits(_rate(model, params) * _starting_units(model, params)) for params in _choices(model)
    )


def _to_credits(amount: Decimal) -> int:
    return max(1, int(amount.to_integral_value(rounding=ROUND_CEILING)))


def _rate(model: Model, params: Mapping[str, object]) -> Decimal:
    return _price_rate(model.price, params)


def _price_rate(price: Price, params: Mapping[str, object]) -> Decimal:
    rate = next((rate.base for rate in price.rates if rate.when.matches(params)), price.base)
    for factor in price.factors:
        if factor.when.matches(params):
            rate *= factor.factor
    return rate


def _units(model: Model, params: Mapping[str, object]) -> Decimal:
    price = model.price
    if price.unit_param is None:
        return Decimal(price.seconds or 1)
    value = params.get(price.unit_param)
    if value is None:
        raise InputError(model.id, price.unit_param, "is needed to compute the price")
    if price.unit is PriceUnit.CHARS_1000:
        return Decimal(_characters(model, price.unit_param, value)) / _THOUSAND
    return _count(model, price.unit_param, value)


def _count(model: Model, name: str, value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(model.id, name, f"cannot count price units from {value!r}")
    try:
        count = Decimal(str(value))
    except ArithmeticError:
        raise InputError(model.id, name, f"cannot count price units from {value!r}") from None
    if not count.is_finite() or count <= 0:
        raise InputError(model.id, name, f"cannot count price units from {value!r}")
    return count


def _characters(model: Model, name: str, value: object) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list):
        return sum(len(line.get("text", "")) for line in value if isinstance(line, dict))
    raise InputError(model.id, name, f"cannot count characters of {value!r}")


def _starting_units(model: Model, params: Mapping[str, object]) -> Decimal:
    price = model.price
    if price.unit is PriceUnit.CHARS_1000:
        return Decimal(1)
    field = model.field(price.unit_param) if price.unit_param else None
    if field is not None and field.kind is FieldKind.INT and price.unit_param not in params:
        return Decimal(str(field.minimum))
    return _units(model, params)


def _driving_fields(model: Model) -> list[Field]:
    """Enum and bool fields whose value can change the price."""
    names = {name for condition in model.price.conditions() for name in condition.names}
    if model.price.unit_param:
        names.add(model.price.unit_param)
    fields = [model.field(name) for name in sorted(names)]
    return [f for f in fields if f is not None and f.kind in (FieldKind.ENUM, FieldKind.BOOL)]


def _choices(model: Model) -> Iterator[dict[str, object]]:
    fields = _driving_fields(model)
    options = [field.values if field.kind is FieldKind.ENUM else (False, True) for field in fields]
    base = default_params(model)
    for combo in itertools.product(*options):
        yield {**base, **{field.name: value for field, value in zip(fields, combo, strict=True)}}
