"""Follow-up prices in the registry: parsed, checked against the route's API, priced, and left out of
the published catalogue when no KIE page confirms them."""

from __future__ import annotations

from typing import Any

import pytest

from shared.catalog import FollowUp, Registry, RegistryError
from shared.catalog.docs_table import check_documented, load_docs_tables
from shared.catalog.loader import for_sale

MJ = "midjourney/text-to-image"


def model_entry(document: dict[str, Any], model_id: str) -> dict[str, Any]:
    """The registry entry of `model_id` in the document."""
    return next(entry for entry in document["models"] if entry["id"] == model_id)


class TestRealFollowUps:
    def test_veo_upgrades_are_priced_from_kies_table(self, registry: Registry) -> None:
        """Veo 3.1's 1080p and 4K cost what KIE's pricing table says (5 and 120 credits), verified."""
        for model_id in ("veo3", "veo3_fast"):
            assert registry.follow_up_price(model_id, FollowUp.HD_1080P) == 5
            assert registry.follow_up_price(model_id, FollowUp.UHD_4K) == 120
            price = registry.get(model_id).follow_up_price(FollowUp.HD_1080P)
            assert price is not None and price.verified

    def test_midjourney_follow_ups_follow_the_original_speed(self, registry: Registry) -> None:
        """Upscale and vary are priced as a grid at the speed the original was made with."""
        speeds = {"relaxed": 3, "fast": 8, "turbo": 16}
        for speed, credits in speeds.items():
            assert registry.follow_up_price(MJ, FollowUp.UPSCALE, {"speed": speed}) == credits
            assert registry.follow_up_price(MJ, FollowUp.VARY, {"speed": speed}) == credits

    def test_a_model_without_follow_ups_offers_none(self, registry: Registry) -> None:
        """Market models, and unknown ids, price no follow-up."""
        assert registry.follow_up_price("nano-banana-2", FollowUp.UPSCALE) is None
        assert registry.follow_up_price("no-such-model", FollowUp.HD_1080P) is None

    def test_unverified_follow_ups_are_not_for_sale(self, raw_document: dict[str, Any]) -> None:
        """Without ALLOW_UNVERIFIED_PRICES Midjourney's upscale and vary are gone; Veo's stay."""
        published = Registry.from_document(for_sale(raw_document))
        assert published.follow_up_price(MJ, FollowUp.UPSCALE) is None
        assert published.follow_up_price(MJ, FollowUp.VARY) is None
        assert published.follow_up_price("veo3_fast", FollowUp.HD_1080P) == 5


class TestBrokenFollowUps:
    @pytest.mark.parametrize(
        ("model_id", "follow_ups", "field", "reason"),
        [
            (
                "veo3",
                {"zoom": {"unit": "task", "base": 1, "source": "unverified"}},
                "follow_ups.zoom",
                "unknown",
            ),
            (
                "veo3",
                {"upscale": {"unit": "task", "base": 1, "source": "unverified"}},
                "follow_ups.upscale",
                "no",
            ),
            (
                "veo3",
                {"4k": {"unit": "task", "base": 1, "source": "nowhere"}},
                "follow_ups.4k.source",
                "listed",
            ),
            (
                "veo3",
                {"4k": {"unit": "second", "base": 1, "seconds": 8, "source": "unverified"}},
                "follow_ups.4k.unit",
                "per task",
            ),
            ("veo3", {"4k": {"unit": "task", "base": 0, "source": "unverified"}}, "price.base", "positive"),
            ("veo3", {"4k": {"unit": "task", "source": "unverified"}}, "follow_ups.4k.base", "missing"),
        ],
    )
    def test_refused_naming_model_and_field(
        self, document: dict[str, Any], model_id: str, follow_ups: Any, field: str, reason: str
    ) -> None:
        """An unknown follow-up, one the route's API lacks, an unlisted source, a non-task unit, a zero
        or missing price: each refused with the model and the field named."""
        model_entry(document, model_id)["follow_ups"] = follow_ups
        with pytest.raises(RegistryError) as caught:
            Registry.from_document(document)
        assert caught.value.model_id == model_id and caught.value.field == field
        assert reason in str(caught.value)


class TestDocumentedFollowUps:
    def test_every_priced_follow_up_is_in_kies_docs_table(self, registry: Registry) -> None:
        """Each follow-up the registry prices is an endpoint KIE's docs list for the family's tasks."""
        check_documented(registry, load_docs_tables())

    def test_a_follow_up_the_docs_table_lacks_is_refused(self, registry: Registry) -> None:
        """Without get-1080p-video in the docs table, Veo's priced 1080p is refused by model and field."""
        tables = load_docs_tables()
        del tables.follow_ups["/api/v1/veo/get-1080p-video"]
        with pytest.raises(RegistryError) as caught:
            check_documented(registry, tables)
        assert caught.value.model_id == "veo3" and caught.value.field == "follow_ups.1080p"
