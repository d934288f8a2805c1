"""The real registry: size, coverage, defaults, prices, menus and lookups."""

from __future__ import annotations

import json

import pytest

from shared.catalog import (
    DEFAULT_REGISTRY_PATH,
    CatalogError,
    GenType,
    Registry,
    Route,
    UnknownModelError,
    load_registry,
)
from tests.shared.catalog.conftest import sample_input

REQUIRED_TYPES = {
    "text-to-image",
    "image-edit",
    "image-to-video",
    "text-to-video",
    "video-to-video",
    "upscale",
    "background-removal",
    "text-to-speech",
    "music",
}


class TestRealRegistry:
    def test_has_at_least_sixty_models(self, registry: Registry) -> None:
        """The registry offers at least 60 models."""
        assert len(registry) >= 60

    def test_covers_every_required_generation_type(self, registry: Registry) -> None:
        """At least 8 types, including every type the product promises."""
        types = {gen_type.value for gen_type in registry.types()}
        assert len(types) >= 8
        assert types >= REQUIRED_TYPES

    def test_types_come_in_menu_order(self, registry: Registry) -> None:
        """types() follows the GenType declaration order."""
        order = list(GenType)
        assert list(registry.types()) == sorted(registry.types(), key=order.index)

    def test_every_model_has_both_languages(self, registry: Registry) -> None:
        """Names and descriptions exist in Russian and English."""
        for model in registry:
            assert model.name.ru and model.name.en and model.description.ru and model.description.en

    def test_default_params_validate_and_price_is_positive_int(self, registry: Registry) -> None:
        """Defaults plus sample values for the other fields validate and cost a positive integer."""
        failures = []
        for model in registry:
            params = sample_input(registry, model)
            try:
                registry.validate_input(model.id, params)
                price = registry.price(model.id, params)
            except CatalogError as exc:
                failures.append(str(exc))
                continue
            if not isinstance(price, int) or price <= 0:
                failures.append(f"{model.id}: price {price!r}")
        assert failures == []

    def test_starting_price_never_exceeds_the_default_price(self, registry: Registry) -> None:
        """The menu's "from" price is at most the price of the default choice."""
        for model in registry:
            params = sample_input(registry, model)
            if model.price.unit.value != "1000_chars":
                assert registry.starting_price(model.id) <= registry.price(model.id, params), model.id

    def test_suno_models_use_the_suno_route(self, registry: Registry) -> None:
        """Music goes through the dedicated Suno API, the other families' models through theirs, the rest
        through Market createTask."""
        dedicated = {
            "veo3_fast": Route.VEO,
            "veo3": Route.VEO,
            "gpt4o-image": Route.GPT4O_IMAGE,
            "flux-kontext-pro": Route.FLUX_KONTEXT,
            "flux-kontext-max": Route.FLUX_KONTEXT,
            "midjourney/text-to-image": Route.MIDJOURNEY,
            "runway/gen-4": Route.RUNWAY,
            "runway/aleph": Route.ALEPH,
        }
        for model in registry:
            expected = Route.SUNO if model.type is GenType.MUSIC else dedicated.get(model.id, Route.MARKET)
            assert model.route is expected, model.id


class TestLookups:
    def test_get_returns_the_model(self, registry: Registry) -> None:
        """get() finds a model by its KIE model string."""
        assert registry.get("nano-banana-2").type is GenType.TEXT_TO_IMAGE

    def test_get_unknown_model_raises(self, registry: Registry) -> None:
        """An unknown id raises UnknownModelError naming the id."""
        with pytest.raises(UnknownModelError, match="no-such-model"):
            registry.get("no-such-model")

    def test_by_type_keeps_registry_order(self, registry: Registry) -> None:
        """by_type lists a type's models in the order of the registry file."""
        models = registry.by_type("text-to-image")
        assert [m.id for m in models] == [m.id for m in registry if m.type is GenType.TEXT_TO_IMAGE]

    def test_default_params_is_a_fresh_copy(self, registry: Registry) -> None:
        """Mutating returned defaults does not change the registry."""
        registry.default_params("nano-banana-2")["resolution"] = "4K"
        assert registry.default_params("nano-banana-2")["resolution"] == "1K"


class TestMenus:
    def test_menus_cover_every_model_once(self, registry: Registry) -> None:
        """Every model appears in exactly one type menu."""
        ids = [item.model_id for items in registry.menus().values() for item in items]
        assert sorted(ids) == sorted(model.id for model in registry)

    def test_menu_items_carry_names_and_starting_price(self, registry: Registry) -> None:
        """A menu row is (model_id, name_ru, name_en, starting price) with the cheapest option's price."""
        row = next(i for i in registry.menus()[GenType.TEXT_TO_IMAGE] if i.model_id == "nano-banana-2")
        model_id, name_ru, name_en, starting = row
        assert (model_id, name_ru, name_en) == ("nano-banana-2", "Nano Banana 2", "Nano Banana 2")
        assert starting == 8

    def test_menu_types_follow_menu_order(self, registry: Registry) -> None:
        """menus() keys are the non-empty types in menu order."""
        assert tuple(registry.menus()) == registry.types()

    def test_type_labels_exist_in_both_languages(self, registry: Registry) -> None:
        """Each menu type has a Russian and an English button text."""
        for gen_type in registry.types():
            label = registry.type_label(gen_type)
            assert label.ru and label.en


class TestPublishedPrices:
    """Prices taken from KIE's tables, per variant (tables in catalog/registry.json price_sources)."""

    @pytest.mark.parametrize(
        ("model_id", "params", "credits"),
        [
            ("sora-2-pro-text-to-video", {"size": "standard", "n_frames": "10"}, 150),
            ("sora-2-pro-text-to-video", {"size": "standard", "n_frames": "15"}, 270),
            ("sora-2-pro-text-to-video", {"size": "high", "n_frames": "10"}, 330),
            ("sora-2-pro-text-to-video", {"size": "high", "n_frames": "15"}, 630),
            ("gpt-image/1.5-text-to-image", {"quality": "high"}, 20),
            ("runway/gen-4", {"duration": 10, "quality": "720p"}, 30),
            ("midjourney/text-to-image", {"speed": "relaxed"}, 3),
            ("veo3", {}, 250),
            ("V5", {}, 12),
        ],
    )
    def test_variant_prices_follow_the_table(
        self, registry: Registry, model_id: str, params: dict[str, object], credits: int
    ) -> None:
        """Each priced variant costs what KIE's table says (credits, before markup)."""
        assert registry.price(model_id, params) == credits


class TestDefaultModels:
    def test_every_type_has_a_default_of_that_type(self, registry: Registry) -> None:
        """The quick path starts each type with a model of that very type."""
        for gen_type in registry.types():
            assert registry.default_model(gen_type).type is gen_type

    def test_operator_choice_wins_over_registry_order(self, registry: Registry) -> None:
        """The registry's default_models entry, not the first model listed, starts the type."""
        assert registry.default_model(GenType.UPSCALE).id == "recraft/crisp-upscale"

    def test_default_of_another_type_is_refused(self, registry: Registry) -> None:
        """A default naming a video model for pictures is a catalogue error naming the key."""
        document = registry.to_snapshot()["document"]
        document["default_models"]["text-to-image"] = "kling-2.6/text-to-video"
        with pytest.raises(CatalogError, match=r"default_models\.text-to-image"):
            Registry.from_document(document)

    def test_every_default_is_on_sale(self) -> None:
        """A default the published catalogue leaves out (unverified price) would silently fall back."""
        document = json.loads(DEFAULT_REGISTRY_PATH.read_text(encoding="utf-8"))
        sold = load_registry(allow_unverified=False)
        for gen_type, model_id in document["default_models"].items():
            assert sold.default_model(gen_type).id == model_id, gen_type

    def test_default_dropped_from_the_catalogue_falls_back(self, registry: Registry) -> None:
        """A default model a refresh removed leaves the type starting with its first model."""
        document = registry.to_snapshot()["document"]
        document["models"] = [m for m in document["models"] if m["id"] != "recraft/crisp-upscale"]
        assert Registry.from_document(document).default_model(GenType.UPSCALE).id == "topaz/image-upscale"
