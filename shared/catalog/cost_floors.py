"""Price floors learnt from what KIE charged: a price is raised, never lowered, when KIE took more.

KIE reports ``creditsConsumed`` for every finished task. When that is more than the registry's KIE
price for the job's parameters, the price was a guess below cost. The rate that priced those
parameters (the first matching rate of the model, else its base rate) gets a floor high enough that
the same parameters now cost at least what KIE consumed. Floors live in one Redis hash,
``catalog:cost_floors`` (field ``model_id|rate``, ``rate`` being ``base`` or the rate's index), and
every snapshot the catalogue store publishes has them applied, whatever its origin: a floor outlives
registry-file changes and KIE refreshes until an operator raises the price in the file itself.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, Decimal
from typing import Any, cast

import redis.asyncio as aioredis

from shared.catalog.pricing import default_params, model_price
from shared.catalog.schema import Model
from shared.keys import Keys

__all__ = ["CostFloors", "Floor", "apply_floors", "floor_for"]

_STEP = Decimal("1.01")
_PLACES = Decimal("0.0001")

# KEYS: floors hash  ARGV: field, rate. Keeps the larger of the stored and the new rate.
_RAISE = """
local held = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) > held then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 1
end
return 0
"""


@dataclass(frozen=True, slots=True)
class Floor:
    """The least rate one of a model's rates may have."""

    model_id: str
    rate: str  # "base" or the index of the rate in the model's price
    value: Decimal

    @property
    def field(self) -> str:
        return f"{self.model_id}|{self.rate}"


def floor_for(model: Model, params: Mapping[str, object], consumed: Decimal) -> Floor | None:
    """The floor that makes ``params`` cost at least ``consumed`` KIE credits; None if they already do."""
    merged = {**default_params(model), **params}
    price = model_price(model, merged)
    if Decimal(price) >= consumed:
        return None
    index = next((i for i, rate in enumerate(model.price.rates) if rate.when.matches(merged)), None)
    rate = model.price.base if index is None else model.price.rates[index].base
    raised = _quantize(rate * consumed / Decimal(price))
    while model_price(_with_rate(model, index, raised), merged) < consumed:
        raised = _quantize(raised * _STEP)
    return Floor(model.id, "base" if index is None else str(index), raised)


def apply_floors(
    document: Mapping[str, Any], floors: Mapping[str, Decimal]
) -> tuple[dict[str, Any], list[Floor]]:
    """``document`` with every rate raised to its floor (never lowered); and the floors that raised one."""
    raised_document = copy.deepcopy(dict(document))
    applied: list[Floor] = []
    for model in raised_document.get("models", []):
        for rate_key, target in _rates_of(model):
            floor = floors.get(f"{model['id']}|{rate_key}")
            if floor is not None and Decimal(str(target["base"])) < floor:
                target["base"] = float(floor)
                applied.append(Floor(model["id"], rate_key, floor))
    return raised_document, applied


class CostFloors:
    """The floors hash in Redis."""

    def __init__(self, redis: aioredis.Redis, keys: Keys) -> None:
        self._redis = redis
        self._key = keys.catalog_cost_floors
        self._raise = redis.register_script(_RAISE)

    async def read(self) -> dict[str, Decimal]:
        raw = cast(dict[bytes, bytes], await self._redis.hgetall(self._key))
        return {field.decode(): Decimal(value.decode()) for field, value in raw.items()}

    async def raise_to(self, floor: Floor) -> bool:
        """Store ``floor`` unless an equal or higher one is there; True when it raised the floor."""
        return bool(await self._raise(keys=[self._key], args=[floor.field, str(floor.value)]))


def _rates_of(model: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    price = model.get("price", {})
    return [("base", price), *((str(i), rate) for i, rate in enumerate(price.get("rates", [])))]


def _with_rate(model: Model, index: int | None, value: Decimal) -> Model:
    price = model.price
    if index is None:
        return _replace_price(model, base=value)
    rates = list(price.rates)
    rates[index] = replace(rates[index], base=value)
    return _replace_price(model, rates=tuple(rates))


def _replace_price(model: Model, **changes: Any) -> Model:
    return replace(model, price=replace(model.price, **changes))


def _quantize(value: Decimal) -> Decimal:
    return value.quantize(_PLACES, rounding=ROUND_CEILING)
