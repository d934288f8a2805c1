"""KIE's documented Market models, read from `docs/market_models.json` (kept apart from our registry).

The table is the emulator's own copy of what KIE's docs say a createTask `input` may hold: required
fields, enums, text limits, numeric ranges, media fields and their item limits, ElevenLabs voices,
plus a charge per model (KIE's published price where it was captured, else a per-output default).
It never reads `catalog/registry.json`: a mistake there must not pass here too.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .model import OutputKind

__all__ = ["DEFAULT_DOCS_PATH", "DocField", "DocModel", "DocsTable", "load_docs_table", "plain"]

DEFAULT_DOCS_PATH = Path(__file__).with_name("docs") / "market_models.json"


def plain(value: object) -> str:
    """A value as the docs' enums spell it: 5 and "5" and 5.0 all read "5", True reads "true"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class DocField:
    """One documented `input` field and its limits."""

    name: str
    enum: tuple[str, ...] | None = None
    default: str | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    max_items: int | None = None
    media: bool = False
    boolean: bool = False
    voice: bool = False
    dialogue: bool = False

    @classmethod
    def parse(cls, name: str, spec: Mapping[str, Any]) -> DocField:
        """Build from the JSON entry."""
        enum = spec.get("enum")
        return cls(
            name=name,
            enum=tuple(plain(v) for v in enum) if enum is not None else None,
            default=None if spec.get("default") is None else plain(spec["default"]),
            max_length=spec.get("max_length"),
            minimum=spec.get("minimum"),
            maximum=spec.get("maximum"),
            max_items=spec.get("max_items"),
            media=bool(spec.get("media")),
            boolean=bool(spec.get("boolean")),
            voice=bool(spec.get("voice")),
            dialogue=bool(spec.get("dialogue")),
        )


@dataclass(frozen=True)
class DocModel:
    """One documented Market model."""

    id: str
    type: str
    output: OutputKind
    required: tuple[str, ...]
    fields: Mapping[str, DocField]
    doc: str
    credits: Mapping[str, Any] | None


class DocsTable:
    """The documented models, ElevenLabs voices and charges."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self._models = {mid: _model(mid, entry) for mid, entry in document["models"].items()}
        voices = document["voices"]
        self.voice_ids: frozenset[str] = frozenset(voices["ids"])
        self.voice_names: frozenset[str] = frozenset([*voices["ids"].values(), *voices["preset_names"]])
        self._default_credits = {
            k: v for k, v in document["default_credits"].items() if not k.startswith("_")
        }

    def __contains__(self, model_id: object) -> bool:
        return model_id in self._models

    def __len__(self) -> int:
        return len(self._models)

    def ids(self) -> list[str]:
        """Every documented model id, sorted."""
        return sorted(self._models)

    def get(self, model_id: str) -> DocModel | None:
        """The documented model, or None."""
        return self._models.get(model_id)

    def is_voice(self, value: object) -> bool:
        """A documented voice id or preset name."""
        return isinstance(value, str) and (value in self.voice_ids or value in self.voice_names)

    def price(self, model: DocModel, params: Mapping[str, Any]) -> float:
        """Credits a successful task of `model` with `params` consumes."""
        spec = model.credits or {"base": self._default_credits[model.output.value]}
        rate = float(spec["base"])
        for field_name, table in (spec.get("by") or {}).items():
            value = params.get(field_name, _default(model, field_name))
            if value is not None and plain(value) in table:
                rate = float(table[plain(value)])
        units = _units(spec, params, model)
        return round(rate * units, 2)


def _default(model: DocModel, name: str) -> str | None:
    spec = model.fields.get(name)
    return spec.default if spec is not None else None


def _units(spec: Mapping[str, Any], params: Mapping[str, Any], model: DocModel) -> float:
    per = spec.get("per")
    if per == "duration":
        raw = params.get("duration", _default(model, "duration") or spec.get("default_units", 1))
        try:
            return float(plain(raw))
        except ValueError:
            return float(spec.get("default_units", 1))
    if per == "1000_chars":
        lines = params.get("dialogue")
        texts = (
            [str(line.get("text", "")) for line in lines if isinstance(line, dict)]
            if isinstance(lines, list)
            else []
        )
        return float(max(1, math.ceil(sum(len(t) for t in texts) / 1000)))
    return 1.0


def _model(model_id: str, entry: Mapping[str, Any]) -> DocModel:
    return DocModel(
        id=model_id,
        type=entry["type"],
        output=OutputKind(entry["output"]),
        required=tuple(entry["required"]),
        fields={name: DocField.parse(name, spec) for name, spec in entry["fields"].items()},
        doc=entry["doc"],
        credits=entry.get("credits"),
    )


@lru_cache(maxsize=4)
def load_docs_table(path: Path = DEFAULT_DOCS_PATH) -> DocsTable:
    """Read the docs table (cached per path)."""
    return DocsTable(json.loads(Path(path).read_text(encoding="utf-8")))
