"""Merge what KIE's catalogue says onto the registry document: the rules of the leader's refresh.

The registry file stays the base; KIE is authoritative only where it is precise:

* **Prices.** A model whose price is one flat figure (unit ``task`` or ``image``, no rates, no
  factors) takes KIE's figure when its ``pricingDesc`` names exactly one credit amount; the price
  source becomes ``kie-catalogue``. Any other price (per second, per resolution, prose with several
  amounts, no ``pricingDesc``) keeps the registry's.
* **Input limits.** For input fields the registry already has, KIE's schema replaces enum values,
  ``maxLength``, ``minimum``/``maximum`` and ``maxItems``, and marks fields it requires as required.
  A registry default still allowed is kept (it may be a deliberate, cheaper choice); otherwise KIE's
  default is taken. Fields KIE has and the registry lacks are only reported: the registry decides
  what the bot asks for.
* **Names and descriptions** always stay the registry's: KIE has no Russian texts, and its ``title``
  is a marketing headline ("Affordable Kling 2.1 Master API — …"), not a button label.
* **Disappeared models** (Market models of the registry that KIE no longer lists) stay in the
  document and are reported (flagged), so a KIE hiccup cannot empty the menus; models only KIE has
  are reported as unlisted. Suno models use their own API and are not in KIE's catalogue.

The result is a plain document: the caller validates it with ``Registry.from_document`` and publishes
it only if it passes, so a merge that breaks a price rule or a default never reaches a snapshot.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shared.kie.catalog_api import CatalogEntry, ModelSchema

__all__ = ["KIE_PRICE_SOURCE", "MergeReport", "MergeResult", "merge_catalogue", "parse_credits"]

KIE_PRICE_SOURCE = "kie-catalogue"
_KIE_PRICE_SOURCE_TEXT = "KIE catalogue pricingDesc, read by the warmup refresh (kie-api.md §3.2)"
_FLAT_UNITS = frozenset({"task", "image"})
_CREDITS = re.compile(r"(\d+(?:[.,]\d+)?)\s*credits?\b", re.IGNORECASE)
_LIMITS = (("maxLength", "max_length"), ("minimum", "min"), ("maximum", "max"), ("maxItems", "max_items"))


@dataclass(slots=True)
class MergeReport:
    """What a merge changed and noticed, for logs and the ``catalog:refresh`` record."""

    disappeared: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)
    prices: dict[str, str] = field(default_factory=dict)
    fields: list[str] = field(default_factory=list)
    unknown_fields: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "disappeared": self.disappeared,
            "unlisted": self.unlisted,
            "prices": self.prices,
            "fields": self.fields,
            "unknown_fields": self.unknown_fields,
        }


@dataclass(frozen=True, slots=True)
class MergeResult:
    """The merged document (not yet validated) and the report."""

    document: dict[str, Any]
    report: MergeReport


def merge_catalogue(
    document: Mapping[str, Any],
    entries: list[CatalogEntry],
    schemas: Mapping[str, ModelSchema | None],
) -> MergeResult:
    """Return a merged deep copy of ``document``; ``document`` itself is not changed."""
    merged = copy.deepcopy(dict(document))
    report = MergeReport()
    listed = {entry.model: entry for entry in entries}
    known: set[str] = set()
    for model in merged.get("models", []):
        known.add(model.get("id"))
        if model.get("route") != "market":
            continue
        entry = listed.get(model["id"])
        if entry is None:
            report.disappeared.append(model["id"])
            continue
        _merge_price(model, entry, report)
        schema = schemas.get(model["id"])
        if schema is not None:
            _merge_fields(model, schema, report)
    report.unlisted = sorted(model_id for model_id in listed if model_id not in known)
    if report.prices:
        merged.setdefault("price_sources", {})[KIE_PRICE_SOURCE] = _KIE_PRICE_SOURCE_TEXT
    return MergeResult(merged, report)


def parse_credits(pricing_desc: str | None) -> Decimal | None:
    """The one credit amount a ``pricingDesc`` names, or None when it names none or several."""
    if not pricing_desc:
        return None
    amounts = {Decimal(match.replace(",", ".")) for match in _CREDITS.findall(pricing_desc)}
    if len(amounts) != 1:
        return None
    amount = amounts.pop()
    return amount if amount > 0 else None


def _merge_price(model: dict[str, Any], entry: CatalogEntry, report: MergeReport) -> None:
    price = model.get("price")
    if not isinstance(price, dict) or price.get("unit") not in _FLAT_UNITS:
        return
    if price.get("rates") or price.get("factors"):
        return
    credits = parse_credits(entry.pricing_desc)
    if credits is None:
        return
    value: int | float = int(credits) if credits == credits.to_integral_value() else float(credits)
    if value != price.get("base") or price.get("source") != KIE_PRICE_SOURCE:
        report.prices[model["id"]] = f"{price.get('base')} -> {value}"
    price["base"] = value
    price["source"] = KIE_PRICE_SOURCE


def _merge_fields(model: dict[str, Any], schema: ModelSchema, report: MergeReport) -> None:
    fields = {item.get("name"): item for item in model.get("input", []) if isinstance(item, dict)}
    for name, prop in schema.properties.items():
        item = fields.get(name)
        if item is None:
            report.unknown_fields.append(f"{model['id']}.{name}")
            continue
        changes = _merge_field(item, prop, required=name in schema.required)
        report.fields.extend(f"{model['id']}.{name}.{change}" for change in changes)


def _merge_field(item: dict[str, Any], prop: Mapping[str, Any], *, required: bool) -> list[str]:
    """Apply KIE's schema property to one registry field; return the names of the keys changed."""
    changes: list[str] = []
    enum = prop.get("enum")
    if item.get("kind") == "enum" and isinstance(enum, list) and enum:
        changes += _set(item, "values", list(enum))
        if item.get("default") is not None and item["default"] not in enum and prop.get("default") in enum:
            changes += _set(item, "default", prop["default"])
    for kie_key, key in _LIMITS:
        value = prop.get(kie_key)
        if _is_number(value) and (key in item or _applies(item, key)):
            changes += _set(item, key, value)
    if required and not item.get("required"):
        changes += _set(item, "required", True)
    return changes


def _applies(item: Mapping[str, Any], key: str) -> bool:
    """Whether a limit the registry does not state yet makes sense for the field's kind."""
    kind = item.get("kind")
    if key == "max_length":
        return kind == "text"
    if key in ("min", "max"):
        return kind in ("int", "float")
    return bool(item.get("multiple"))


def _set(item: dict[str, Any], key: str, value: Any) -> list[str]:
    if item.get(key) == value and type(item.get(key)) is type(value):
        return []
    item[key] = value
    return [key]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
