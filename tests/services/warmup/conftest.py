"""Fixtures for warmup tests: a snapshot store under a private prefix, and registry files to break."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from shared.catalog import DEFAULT_REGISTRY_PATH
from shared.catalog.store import SnapshotStore
from shared.keys import Keys


@pytest.fixture(name="keys")
def _keys(key_prefix: str) -> Keys:
    return Keys(key_prefix)


@pytest.fixture(name="store")
def _store(redis_client: aioredis.Redis, keys: Keys) -> SnapshotStore:
    return SnapshotStore(redis_client, keys)


@pytest.fixture(name="raw_document", scope="session")
def _raw_document() -> dict[str, Any]:
    return dict(json.loads(DEFAULT_REGISTRY_PATH.read_text(encoding="utf-8")))


@pytest.fixture(name="document")
def _document(raw_document: dict[str, Any]) -> dict[str, Any]:
    """A private deep copy of the real registry document, free to change."""
    return copy.deepcopy(raw_document)


@pytest.fixture(name="registry_file")
def _registry_file(tmp_path: Path, raw_document: dict[str, Any]) -> Path:
    """A copy of the real registry in a temporary file, which a test may break."""
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(raw_document, ensure_ascii=False), encoding="utf-8")
    return path


WriteDoc = Callable[[Path, dict[str, Any]], None]


def write_document(path: Path, document: dict[str, Any]) -> None:
    """Replace the file's content with ``document``."""
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")


def entry(document: dict[str, Any], model_id: str) -> dict[str, Any]:
    """The raw registry entry of ``model_id``."""
    return next(item for item in document["models"] if item["id"] == model_id)


def input_field(document: dict[str, Any], model_id: str, name: str) -> dict[str, Any]:
    """The raw ``input`` entry called ``name`` of ``model_id``."""
    return next(item for item in entry(document, model_id)["input"] if item["name"] == name)


def write_raw(path: Path, text: str) -> None:
    """Replace the file's content with ``text`` (e.g. something that is not JSON)."""
    path.write_text(text, encoding="utf-8")
