"""Errors raised by the model catalogue (rooted at `shared.errors.TrtError`).

CatalogError
├── RegistryError      the registry document is invalid (names the model and field)
├── UnknownModelError  a model id the registry does not hold
└── InputError         generation parameters fail a model's input schema (names the field)
"""

from __future__ import annotations

from shared.errors import TrtError

__all__ = ["CatalogError", "InputError", "RegistryError", "UnknownModelError"]


def _locate(model_id: str | None, field: str | None) -> str:
    parts = []
    if model_id is not None:
        parts.append(f"model {model_id!r}")
    if field is not None:
        parts.append(f"field {field!r}")
    return " ".join(parts)


class CatalogError(TrtError):
    """Base class of every catalogue error."""


class RegistryError(CatalogError):
    """The registry document is invalid; the message names the model id and field at fault."""

    def __init__(self, reason: str, *, model_id: str | None = None, field: str | None = None) -> None:
        self.reason = reason
        self.model_id = model_id
        self.field = field
        where = _locate(model_id, field)
        super().__init__(f"{where}: {reason}" if where else reason)


class UnknownModelError(CatalogError, KeyError):
    """The registry holds no model with this id."""

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id
        super().__init__(f"unknown model {model_id!r}")

    def __str__(self) -> str:
        return str(self.args[0])


class InputError(CatalogError):
    """Generation parameters violate a model's input schema; carries the offending field."""

    def __init__(self, model_id: str, field: str, reason: str) -> None:
        self.model_id = model_id
        self.field = field
        self.reason = reason
        super().__init__(f"{_locate(model_id, field)}: {reason}")
