"""Load the registry file from disk into a validated `Registry`."""

from __future__ import annotations

import json
from pathlib import Path

from shared.catalog.errors import RegistryError
from shared.catalog.registry import Registry

__all__ = ["DEFAULT_REGISTRY_PATH", "load_registry"]

DEFAULT_REGISTRY_PATH = Path(__file__).resolve().parents[2] / "catalog" / "registry.json"
"""The repository's registry file, the single source of truth for models and prices."""


def load_registry(path: str | Path = DEFAULT_REGISTRY_PATH) -> Registry:
    """Read, parse and validate the registry at `path`; raise `RegistryError` naming model and field."""
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
    return Registry.from_document(document)
