"""Per-type model menus (the seed's GEN_TYPE_MENU): what the bot lists after a type is picked."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import NamedTuple

from shared.catalog.pricing import starting_price
from shared.catalog.schema import GenType, Model

__all__ = ["MenuItem", "build_menus"]


class MenuItem(NamedTuple):
    """One model button: id, Russian and English names, and the lowest price in credits."""

    model_id: str
    name_ru: str
    name_en: str
    starting_price: int


def build_menus(models: Iterable[Model]) -> Mapping[GenType, tuple[MenuItem, ...]]:
    """Group models by type in menu order; models keep their registry order, empty types are left out."""
    grouped: dict[GenType, list[MenuItem]] = {gen_type: [] for gen_type in GenType}
    for model in models:
        item = MenuItem(model.id, model.name.ru, model.name.en, starting_price(model))
        grouped[model.type].append(item)
    return MappingProxyType({gen_type: tuple(items) for gen_type, items in grouped.items() if items})
