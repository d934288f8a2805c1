"""Every field and value a user can see has a human label in both languages; no raw value shows."""

from __future__ import annotations

import re

import pytest

from shared.catalog import Field, FieldKind, Registry, load_registry
from shared.chat.labels import field_label, value_label, voice_label
from shared.chat.texts import Language, Texts

TEXTS = Texts()
REGISTRY = load_registry()
_RAW = re.compile(r"_|^[a-z]{2,}$|^[A-Za-z0-9]{16,}$|^[a-z]$")
"""What a raw value looks like: an identifier with underscores, a bare lower-case word or letter, an id."""


def _fields(registry: Registry) -> list[Field]:
    return [field for model in registry for field in model.fields]


def _values(field: Field) -> list[object]:
    if field.kind is FieldKind.DIALOGUE:
        return list(field.voices)
    return list(field.values) if field.kind is FieldKind.ENUM else []


@pytest.mark.parametrize("language", list(Language))
class TestHumanLabels:
    def test_every_field_has_a_catalog_name(self, language: Language) -> None:
        """No field is shown by its registry name made readable ("Image urls")."""
        unnamed = sorted(
            {f.name for f in _fields(REGISTRY) if TEXTS.maybe(f"param_{f.name}", language) is None}
        )
        assert unnamed == []

    def test_no_enum_value_or_voice_is_shown_raw(self, language: Language) -> None:
        """landscape_16_9, fun, m and voice ids all read as words; "Voice 3" is gone too."""
        raw = set()
        for field in _fields(REGISTRY):
            for value in _values(field):
                label = (
                    voice_label(TEXTS, str(value), language)
                    if field.kind is FieldKind.DIALOGUE
                    else value_label(TEXTS, field, value, language)
                )
                if isinstance(value, str) and _RAW.search(label):
                    raw.add(f"{field.name}={label}")
        assert sorted(raw) == []

    def test_field_labels_read_as_words(self, language: Language) -> None:
        """A field label never carries an underscore."""
        assert not [f.name for f in _fields(REGISTRY) if "_" in field_label(TEXTS, f, language)]


class TestDetector:
    def test_raw_values_are_caught(self) -> None:
        """The detector flags the raw forms the issue names and passes plain ones."""
        assert all(_RAW.search(v) for v in ("landscape_16_9", "spicy", "m", "EkK5I93UQWFDigLMpZcX"))
        assert not any(_RAW.search(v) for v in ("16:9", "1K", "720p", "Landscape 16:9", "James, male voice"))
