"""Fixtures for catalogue tests: the real registry, a mutable copy of its document, valid sample inputs."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shared.catalog import DEFAULT_REGISTRY_PATH, FieldKind, Model, Registry, load_registry

SAMPLE_TEXT = "a red fox walking through fresh snow at dawn"
SAMPLE_URLS = {
    FieldKind.IMAGE: "https://files.example.com/in.png",
    FieldKind.VIDEO: "https://files.example.com/in.mp4",
    FieldKind.AUDIO: "https://files.example.com/in.mp3",
}


def sample_value(field: Any) -> Any:
    """A valid value for a field that has no default."""
    if field.kind is FieldKind.TEXT:
        return SAMPLE_TEXT[: field.max_length or len(SAMPLE_TEXT)]
    if field.kind is FieldKind.ENUM:
        return field.values[0]
    if field.kind is FieldKind.DIALOGUE:
        return [{"text": SAMPLE_TEXT, "voice": field.voices[0]}]
    url = SAMPLE_URLS[field.kind]
    return [url] * max(1, field.min_items or 0) if field.multiple else url


def sample_input(registry: Registry, model: Model) -> dict[str, Any]:
    """The model's defaults plus a valid value for every field without a default."""
    params: dict[str, Any] = dict(registry.default_params(model.id))
    for field in model.fields:
        if field.name not in params:
            params[field.name] = sample_value(field)
    return params


@pytest.fixture(name="registry", scope="session")
def _registry() -> Registry:
    return load_registry()


@pytest.fixture(name="raw_document", scope="session")
def _raw_document() -> dict[str, Any]:
    return dict(json.loads(DEFAULT_REGISTRY_PATH.read_text(encoding="utf-8")))


@pytest.fixture(name="document")
def _document(raw_document: dict[str, Any]) -> dict[str, Any]:
    """A private deep copy of the real registry document, free to break."""
    return copy.deepcopy(raw_document)


@pytest.fixture(name="write_registry")
def _write_registry(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    """Write a registry document to a temporary file and return its path."""

    def write(document: dict[str, Any]) -> Path:
        path = tmp_path / "registry.json"
        path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        return path

    return write


def entry(document: dict[str, Any], model_id: str) -> dict[str, Any]:
    """The raw registry entry of `model_id` inside `document`."""
    return next(item for item in document["models"] if item["id"] == model_id)


def input_field(document: dict[str, Any], model_id: str, name: str) -> dict[str, Any]:
    """The raw `input` entry called `name` of `model_id`."""
    return next(item for item in entry(document, model_id)["input"] if item["name"] == name)
