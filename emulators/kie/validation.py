"""Checking a createTask body against the model registry, answering KIE's 422s (kie-api.md §2.1, §8.3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from shared.catalog import InputError, Model, Registry, Route

from .errors import KieFailure

__all__ = ["CreateRequest", "parse_create_request"]


@dataclass(frozen=True)
class CreateRequest:
    """A createTask body that passed validation, with the model it names and its price."""

    model: Model
    body: dict[str, Any]
    price: int


def _invalid(msg: str) -> KieFailure:
    return KieFailure(422, msg)


def parse_create_request(registry: Registry, body: object) -> CreateRequest:
    """Validate a createTask body; raise KieFailure(422) whose message names the offending field."""
    if not isinstance(body, dict):
        raise _invalid("Request body must be a JSON object")
    model_id = body.get("model")
    if not isinstance(model_id, str) or not model_id:
        raise _invalid("model is required")
    if model_id not in registry or registry.get(model_id).route is not Route.MARKET:
        raise _invalid(f"model '{model_id}' is not supported")
    model = registry.get(model_id)
    callback = body.get("callBackUrl")
    if callback is not None and not _is_url(callback):
        raise _invalid("callBackUrl must be an http(s) URL")
    params = body.get("input")
    if params is None:
        raise _invalid("input is required")
    try:
        registry.validate_input(model_id, params)
        price = registry.price(model_id, params)
    except InputError as exc:
        raise _invalid(f"input.{exc.field}: {exc.reason}") from exc
    return CreateRequest(model=model, body=body, price=price)


def _is_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
