"""Load the registry file from disk into a validated `Registry`."""

from __future__ import annotations

import json
from pathlib import Path

from shared.catalog.errors import RegistryError
from shared.catalog.registry import Registry
from shared.catalog.schema import UNVERIFIED_SOURCE

__all__ = ["DEFAULT_REGISTRY_PATH", "for_sale", "load_registry"]

DEFAULT_REGISTRY_PATH = Path(__file__).resolve().parents[2] / "catalog" / "registry.json"
"""The repository's registry file, the single source of truth for models and prices."""


def load_registry(path: str | Path = DEFAULT_REGISTRY_PATH, *, allow_unverified: bool = True) -> Registry:
    """Read, parse and validate the registry at `path`; raise `RegistryError` naming model and field.

    With `allow_unverified=False` (what the seller, i.e. the published catalogue, uses unless the
    operator sets ALLOW_UNVERIFIED_PRICES) models whose price no KIE page confirms are left out.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RegistryError(f"cannot read registry {str(path)!r}: {exc.strerror or exc}") from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegistryError(
            f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    registry = Registry.from_document(document)  # every entry is validated, sold or not
    return registry if allow_unverified else Registry.from_document(for_sale(document))


def for_sale(document: object) -> object:
    """The document without the models, and the follow-ups, whose price source is `unverified`."""
    if not isinstance(document, dict) or not isinstance(document.get("models"), list):
        return document
    models = [_verified_follow_ups(model) for model in document["models"] if not _unverified(model)]
    return {**document, "models": models}


def _unverified(model: object) -> bool:
    price = model.get("price") if isinstance(model, dict) else None
    return _unverified_price(price)


def _unverified_price(price: object) -> bool:
    return isinstance(price, dict) and price.get("source") == UNVERIFIED_SOURCE


def _verified_follow_ups(model: object) -> object:
    follow_ups = model.get("follow_ups") if isinstance(model, dict) else None
    if not isinstance(model, dict) or not isinstance(follow_ups, dict):
        return model
    kept = {name: price for name, price in follow_ups.items() if not _unverified_price(price)}
    return {**model, "follow_ups": kept} if kept else {k: v for k, v in model.items() if k != "follow_ups"}
