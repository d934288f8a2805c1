"""The refresh's merge rules, on the real registry document (pure functions, no I/O)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from services.warmup.merge import KIE_PRICE_SOURCE, merge_catalogue, parse_credits
from shared.catalog import Registry
from shared.kie.catalog_api import CatalogEntry, ModelSchema
from tests.services.warmup.conftest import entry, input_field


def listed(document: dict[str, Any], **pricing: str) -> list[CatalogEntry]:
    """A KIE catalogue listing every Market model of the document; ``pricing`` sets pricingDesc by id."""
    return [
        CatalogEntry(model=m["id"], title=f"Affordable {m['id']} API", pricing_desc=pricing.get(m["id"]))
        for m in document["models"]
        if m["route"] == "market"
    ]


class TestParseCredits:
    def test_one_amount(self) -> None:
        """A description naming one credit amount yields it."""
        assert parse_credits("Each image costs 10 credits (0.05 USD).") == Decimal(10)

    def test_several_amounts_are_ambiguous(self) -> None:
        """Different amounts (per resolution, per duration) yield None."""
        assert parse_credits("1K: 8 credits, 2K: 12 credits") is None

    def test_no_amount(self) -> None:
        """No description, or no credits in it, yields None."""
        assert parse_credits(None) is None and parse_credits("Contact sales") is None


class TestMergeCatalogue:
    def test_kie_price_replaces_a_flat_price(self, document: dict[str, Any]) -> None:
        """A flat per-image price takes KIE's single amount; the source says where it came from."""
        entries = listed(document, **{"google/imagen4": "Each image costs 10 credits (0.05 USD)."})
        result = merge_catalogue(document, entries, {})
        price = entry(result.document, "google/imagen4")["price"]
        assert price["base"] == 10 and price["source"] == KIE_PRICE_SOURCE
        assert result.report.prices == {"google/imagen4": "8 -> 10"}
        assert Registry.from_document(result.document).price("google/imagen4") == 10

    def test_registry_price_kept_where_kie_has_none_or_it_is_not_flat(self, document: dict[str, Any]) -> None:
        """No pricingDesc, or a price with rates (per resolution), keeps the registry's price."""
        entries = listed(document, **{"nano-banana-2": "A 1K image costs 8 credits"})
        result = merge_catalogue(document, entries, {})
        assert entry(result.document, "nano-banana-2")["price"] == entry(document, "nano-banana-2")["price"]
        assert entry(result.document, "google/imagen4")["price"]["base"] == 8
        assert result.report.prices == {}
        assert KIE_PRICE_SOURCE not in result.document["price_sources"]

    def test_names_and_descriptions_stay_the_registrys(self, document: dict[str, Any]) -> None:
        """KIE's marketing titles never replace the registry's names or descriptions."""
        result = merge_catalogue(document, listed(document), {})
        for before, after in zip(document["models"], result.document["models"], strict=True):
            assert after["name"] == before["name"] and after["description"] == before["description"]

    def test_disappeared_models_are_flagged_and_kept(self, document: dict[str, Any]) -> None:
        """Market models KIE no longer lists are reported and kept; Suno models are never flagged."""
        entries = [item for item in listed(document) if item.model != "z-image"]
        entries.append(CatalogEntry(model="brand-new/model"))
        result = merge_catalogue(document, entries, {})
        assert result.report.disappeared == ["z-image"]
        assert result.report.unlisted == ["brand-new/model"]
        assert any(m["id"] == "z-image" for m in result.document["models"])

    def test_schema_updates_known_fields_only(self, document: dict[str, Any]) -> None:
        """KIE's enum and limits update fields the registry has; fields it lacks are only reported."""
        schema = ModelSchema(
            model="google/imagen4",
            properties={
                "aspect_ratio": {"type": "string", "enum": ["1:1", "16:9", "9:16"], "default": "16:9"},
                "prompt": {"type": "string", "maxLength": 4000},
                "seed": {"type": "integer"},
            },
            required=("prompt",),
        )
        result = merge_catalogue(document, listed(document), {"google/imagen4": schema})
        aspect = input_field(result.document, "google/imagen4", "aspect_ratio")
        assert aspect["values"] == ["1:1", "16:9", "9:16"] and aspect["default"] == "1:1"
        assert input_field(result.document, "google/imagen4", "prompt")["max_length"] == 4000
        assert result.report.unknown_fields == ["google/imagen4.seed"]
        Registry.from_document(result.document)

    def test_default_no_longer_allowed_takes_kies(self, document: dict[str, Any]) -> None:
        """A registry default that KIE's enum dropped is replaced by KIE's default."""
        schema = ModelSchema(
            model="google/imagen4-fast",
            properties={"aspect_ratio": {"enum": ["1:1", "9:16"], "default": "9:16"}},
        )
        result = merge_catalogue(document, listed(document), {"google/imagen4-fast": schema})
        assert input_field(result.document, "google/imagen4-fast", "aspect_ratio")["default"] == "9:16"

    def test_input_document_is_not_changed(
        self, document: dict[str, Any], raw_document: dict[str, Any]
    ) -> None:
        """The merge works on a copy."""
        merge_catalogue(document, listed(document, **{"google/imagen4": "10 credits"}), {})
        assert document == raw_document
