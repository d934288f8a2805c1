"""The validated, immutable model catalogue and its versioned snapshot form."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from shared.catalog.checks import check_catalog
from shared.catalog.errors import RegistryError, UnknownModelError
from shared.catalog.inputs import validate_input
from shared.catalog.menus import MenuItem, build_menus
from shared.catalog.parsing import CatalogData, parse_document
from shared.catalog.pricing import default_params, follow_up_price, model_price, starting_price
from shared.catalog.schema import FollowUp, GenType, Localized, Model, Scalar

__all__ = ["SNAPSHOT_FORMAT", "Registry"]

SNAPSHOT_FORMAT = 1
"""Version of the snapshot envelope written to Redis; bump when its keys change."""


def _canonical(document: object) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Registry:
    """Every model of the catalogue, looked up by id or type, with prices, defaults and validation.

    Build it with `load_registry(path)`, `Registry.from_document(doc)` or `Registry.from_snapshot(snap)`;
    each validates every entry first. `version` is the SHA-256 of the canonical document.
    """

    def __init__(self, data: CatalogData, canonical_document: str) -> None:
        self._data = data
        self._document = canonical_document
        self._version = hashlib.sha256(canonical_document.encode()).hexdigest()
        self._by_id = MappingProxyType({model.id: model for model in data.models})
        by_type: dict[GenType, tuple[Model, ...]] = {}
        for gen_type in GenType:
            by_type[gen_type] = tuple(model for model in data.models if model.type is gen_type)
        self._by_type = MappingProxyType(by_type)
        self._menus = build_menus(data.models)

    @classmethod
    def from_document(cls, document: object) -> Registry:
        """Parse and validate a registry document (the JSON object of `catalog/registry.json`)."""
        data = parse_document(document)
        check_catalog(data)
        return cls(data, _canonical(document))

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any]) -> Registry:
        """Rebuild a registry from `to_snapshot()` output, refusing a wrong format or a corrupt hash."""
        if snapshot.get("format") != SNAPSHOT_FORMAT:
            raise RegistryError(f"unsupported snapshot format {snapshot.get('format')!r}")
        registry = cls.from_document(snapshot.get("document"))
        if registry.version != snapshot.get("version"):
            raise RegistryError("snapshot version does not match its document's hash")
        return registry

    def to_snapshot(self) -> dict[str, Any]:
        """Return a JSON-ready snapshot: format, content hash, model count and the document."""
        return {
            "format": SNAPSHOT_FORMAT,
            "version": self._version,
            "models": len(self),
            "document": json.loads(self._document),
        }

    @property
    def version(self) -> str:
        """SHA-256 hex digest of the canonical document; equal content gives an equal version."""
        return self._version

    @property
    def models(self) -> tuple[Model, ...]:
        """Every model in registry order."""
        return self._data.models

    @property
    def usd_per_credit(self) -> Decimal:
        """The USD value of one KIE credit stated in the registry."""
        return self._data.usd_per_credit

    def __len__(self) -> int:
        return len(self._data.models)

    def __contains__(self, model_id: object) -> bool:
        return model_id in self._by_id

    def __iter__(self) -> Iterator[Model]:
        return iter(self._data.models)

    def get(self, model_id: str) -> Model:
        """Return the model with this id, or raise `UnknownModelError`."""
        try:
            return self._by_id[model_id]
        except KeyError:
            raise UnknownModelError(model_id) from None

    def route_of(self, model_id: str) -> str:
        """The KIE API family (`Route`) that submits `model_id`; raises `UnknownModelError`."""
        return self.get(model_id).route.value

    def by_type(self, gen_type: GenType | str) -> tuple[Model, ...]:
        """Models of one generation type, in registry order."""
        return self._by_type[GenType(gen_type)]

    def types(self) -> tuple[GenType, ...]:
        """Generation types that have models, in menu order."""
        return tuple(self._menus)

    def default_model(self, gen_type: GenType | str) -> Model:
        """The model the quick path starts a type with: the operator's choice, else the type's first."""
        chosen = self._by_id.get(self._data.default_models.get(GenType(gen_type), ""))
        if chosen is not None and chosen.type is GenType(gen_type):
            return chosen
        return self._by_type[GenType(gen_type)][0]

    def type_label(self, gen_type: GenType | str) -> Localized:
        """The menu button text of a generation type."""
        return self._data.type_labels[GenType(gen_type)]

    def counts(self) -> dict[str, int]:
        """Number of models per type, in menu order."""
        return {gen_type.value: len(items) for gen_type, items in self._menus.items()}

    def price(self, model_id: str, params: Mapping[str, object] | None = None) -> int:
        """Price in whole KIE credits of running `model_id` with `params` (defaults fill the gaps)."""
        return model_price(self.get(model_id), params or {})

    def follow_up_price(
        self, model_id: str, action: FollowUp, params: Mapping[str, object] | None = None
    ) -> int | None:
        """Price in whole credits of `action` on a result of `model_id` made with `params`; None when
        the model offers no such follow-up (or the model is not in this catalogue)."""
        model = self._by_id.get(model_id)
        price = model.follow_up_price(action) if model is not None else None
        return None if model is None or price is None else follow_up_price(model, price, params or {})

    def starting_price(self, model_id: str) -> int:
        """The lowest price the model can cost, for "from N credits" labels."""
        return starting_price(self.get(model_id))

    def default_params(self, model_id: str) -> dict[str, Scalar]:
        """A fresh dict of the model's default input values."""
        return default_params(self.get(model_id))

    def validate_input(self, model_id: str, data: object) -> None:
        """Raise `InputError` naming the offending field when `data` breaks the model's schema."""
        validate_input(self.get(model_id), data)

    def menus(self) -> Mapping[GenType, tuple[MenuItem, ...]]:
        """Per-type menus in menu order: type → ((model_id, name_ru, name_en, starting_price), …)."""
        return self._menus
