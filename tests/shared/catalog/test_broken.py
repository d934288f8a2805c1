"""Broken registry edits fail to load with an error naming the model and the field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shared.catalog import Registry, RegistryError, load_registry
from tests.shared.catalog.conftest import entry, input_field

Edit = Callable[[dict[str, Any]], None]


def _drop_field_kind(doc: dict[str, Any]) -> None:
    del input_field(doc, "nano-banana-2", "resolution")["kind"]


def _drop_model_price(doc: dict[str, Any]) -> None:
    del entry(doc, "z-image")["price"]


def _drop_required_flag(doc: dict[str, Any]) -> None:
    del input_field(doc, "z-image", "prompt")["required"]


def _enum_default_not_in_enum(doc: dict[str, Any]) -> None:
    input_field(doc, "seedream/4.5-text-to-image", "quality")["default"] = "ultra"


def _negative_base_price(doc: dict[str, Any]) -> None:
    entry(doc, "google/imagen4")["price"]["base"] = -8


def _zero_rate(doc: dict[str, Any]) -> None:
    entry(doc, "nano-banana-2")["price"]["rates"][0]["base"] = 0


def _price_as_text(doc: dict[str, Any]) -> None:
    entry(doc, "google/imagen4")["price"]["base"] = "eight"


def _rate_for_unknown_value(doc: dict[str, Any]) -> None:
    entry(doc, "nano-banana-2")["price"]["rates"][1]["when"] = {"resolution": "8K"}


def _rate_for_unknown_param(doc: dict[str, Any]) -> None:
    entry(doc, "nano-banana-2")["price"]["rates"][0]["when"] = {"quality": "2K"}


def _zero_factor(doc: dict[str, Any]) -> None:
    entry(doc, "kling-2.6/text-to-video")["price"]["factors"][0]["factor"] = 0


def _unit_param_unknown(doc: dict[str, Any]) -> None:
    entry(doc, "kling-2.6/text-to-video")["price"]["unit_param"] = "length"


def _duplicate_id(doc: dict[str, Any]) -> None:
    entry(doc, "z-image")["id"] = "google/imagen4"


def _unknown_type(doc: dict[str, Any]) -> None:
    entry(doc, "z-image")["type"] = "text-to-hologram"


def _missing_english_name(doc: dict[str, Any]) -> None:
    del entry(doc, "z-image")["name"]["en"]


def _empty_russian_description(doc: dict[str, Any]) -> None:
    entry(doc, "z-image")["description"]["ru"] = " "


def _min_above_max(doc: dict[str, Any]) -> None:
    input_field(doc, "elevenlabs/text-to-speech-turbo-2-5", "speed")["min"] = 2


def _default_outside_limits(doc: dict[str, Any]) -> None:
    input_field(doc, "elevenlabs/text-to-speech-turbo-2-5", "stability")["default"] = 1.5


def _default_too_long(doc: dict[str, Any]) -> None:
    input_field(doc, "V5", "title")["default"] = "x" * 81


def _media_range_inverted(doc: dict[str, Any]) -> None:
    input_field(doc, "google/nano-banana-edit", "image_urls")["min_items"] = 12


def _unknown_field_kind(doc: dict[str, Any]) -> None:
    input_field(doc, "z-image", "prompt")["kind"] = "hologram"


def _rule_requires_unknown_field(doc: dict[str, Any]) -> None:
    entry(doc, "V5")["rules"][1]["require"] = ["style", "mood"]


def _time_limit_below_typical(doc: dict[str, Any]) -> None:
    entry(doc, "z-image")["time_limit_seconds"] = 1


def _misspelt_default(doc: dict[str, Any]) -> None:
    field = input_field(doc, "nano-banana-2", "resolution")
    field["defualt"] = field.pop("default")


def _misspelt_price_key(doc: dict[str, Any]) -> None:
    entry(doc, "nano-banana-2")["price"]["rate"] = entry(doc, "nano-banana-2")["price"].pop("rates")


def _unlisted_price_source(doc: dict[str, Any]) -> None:
    entry(doc, "z-image")["price"]["source"] = "a blog post"


CASES: list[tuple[str, Edit, str, str]] = [
    ("missing field kind", _drop_field_kind, "nano-banana-2", "resolution"),
    ("missing price", _drop_model_price, "z-image", "price"),
    ("missing required flag", _drop_required_flag, "z-image", "prompt"),
    ("enum default not in enum", _enum_default_not_in_enum, "seedream/4.5-text-to-image", "quality"),
    ("negative price", _negative_base_price, "google/imagen4", "price.base"),
    ("zero rate", _zero_rate, "nano-banana-2", "price.rates[0].base"),
    ("price as text", _price_as_text, "google/imagen4", "price.base"),
    ("rate for unknown value", _rate_for_unknown_value, "nano-banana-2", "price.rates[1].when.resolution"),
    ("rate for unknown param", _rate_for_unknown_param, "nano-banana-2", "price.rates[0].when.quality"),
    ("zero factor", _zero_factor, "kling-2.6/text-to-video", "price.factors[0].factor"),
    ("unknown unit param", _unit_param_unknown, "kling-2.6/text-to-video", "price.unit_param"),
    ("duplicate id", _duplicate_id, "google/imagen4", "id"),
    ("unknown type", _unknown_type, "z-image", "type"),
    ("missing english name", _missing_english_name, "z-image", "name.en"),
    ("empty russian description", _empty_russian_description, "z-image", "description.ru"),
    ("min above max", _min_above_max, "elevenlabs/text-to-speech-turbo-2-5", "speed"),
    ("default outside limits", _default_outside_limits, "elevenlabs/text-to-speech-turbo-2-5", "stability"),
    ("default too long", _default_too_long, "V5", "title"),
    ("media range inverted", _media_range_inverted, "google/nano-banana-edit", "image_urls"),
    ("unknown field kind", _unknown_field_kind, "z-image", "prompt"),
    ("rule requires unknown field", _rule_requires_unknown_field, "V5", "rules[1].require"),
    ("misspelt default", _misspelt_default, "nano-banana-2", "resolution"),
    ("misspelt price key", _misspelt_price_key, "nano-banana-2", "price.rate"),
    ("unlisted price source", _unlisted_price_source, "z-image", "price.source"),
    ("time limit below typical", _time_limit_below_typical, "z-image", "time_limit_seconds"),
]


class TestBrokenRegistry:
    @pytest.mark.parametrize(("edit", "model_id", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
    def test_broken_edit_names_model_and_field(
        self, document: dict[str, Any], edit: Edit, model_id: str, field: str
    ) -> None:
        """Loading fails with RegistryError carrying and printing the model id and field."""
        edit(document)
        with pytest.raises(RegistryError) as caught:
            Registry.from_document(document)
        assert (caught.value.model_id, caught.value.field) == (model_id, field)
        assert f"model {model_id!r} field {field!r}: " in str(caught.value)

    def test_enum_default_message_lists_the_allowed_values(self, document: dict[str, Any]) -> None:
        """The message says which default is wrong and which values are allowed."""
        input_field(document, "flux-2/pro-text-to-image", "resolution")["default"] = "3K"
        with pytest.raises(RegistryError) as caught:
            Registry.from_document(document)
        assert str(caught.value) == (
            "model 'flux-2/pro-text-to-image' field 'resolution': default '3K' is not one of ['1K', '2K']"
        )

    def test_unknown_type_message_lists_known_types(self, document: dict[str, Any]) -> None:
        """An unknown type is rejected with the list of known types."""
        _unknown_type(document)
        with pytest.raises(
            RegistryError, match="unknown value 'text-to-hologram'; known: \\['text-to-image'"
        ):
            Registry.from_document(document)

    def test_invalid_json_names_the_line(
        self, write_registry: Callable[[dict[str, Any]], Path], document: dict[str, Any]
    ) -> None:
        """A syntax error in the file is reported with its line and column."""
        path = write_registry(document)
        path.write_text(path.read_text(encoding="utf-8")[:-5], encoding="utf-8")
        with pytest.raises(RegistryError, match="invalid JSON at line 1 column"):
            load_registry(path)

    def test_missing_file_is_a_registry_error(self, tmp_path: Path) -> None:
        """A registry path that does not exist raises RegistryError, not OSError."""
        with pytest.raises(RegistryError, match="cannot read registry"):
            load_registry(tmp_path / "absent.json")

    def test_unedited_copy_loads(
        self, write_registry: Callable[[dict[str, Any]], Path], document: dict[str, Any]
    ) -> None:
        """The control case: the untouched document written to disk loads."""
        assert len(load_registry(write_registry(document))) == len(document["models"])
