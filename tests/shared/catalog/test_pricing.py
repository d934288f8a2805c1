"""Prices follow the parameters that drive them, and only those."""

from __future__ import annotations

import pytest

from shared.catalog import InputError, Registry

VOICE = "EkK5I93UQWFDigLMpZcX"


class TestPrice:
    def test_resolution_changes_a_per_image_price(self, registry: Registry) -> None:
        """Nano Banana 2 costs 8/12/18 credits at 1K/2K/4K ($0.04/0.06/0.09 at $0.005 a credit)."""
        prices = [registry.price("nano-banana-2", {"resolution": r}) for r in ("1K", "2K", "4K")]
        assert prices == [8, 12, 18]

    def test_parameters_outside_the_price_rules_do_not_change_it(self, registry: Registry) -> None:
        """Aspect ratio and format leave the price alone."""
        assert registry.price("nano-banana-2", {"aspect_ratio": "16:9", "output_format": "png"}) == 8

    def test_defaults_fill_missing_parameters(self, registry: Registry) -> None:
        """price() with no parameters prices the default choice."""
        assert registry.price("nano-banana-2") == registry.price("nano-banana-2", {"resolution": "1K"})

    def test_duration_and_sound_change_a_per_second_price(self, registry: Registry) -> None:
        """Kling 2.6: 5 s silent 55, with sound 110, 10 s with sound 220 credits."""
        price = registry.price
        assert price("kling-2.6/text-to-video", {"duration": "5", "sound": False}) == 55
        assert price("kling-2.6/text-to-video", {"duration": "5", "sound": True}) == 110
        assert price("kling-2.6/text-to-video", {"duration": "10", "sound": True}) == 220

    def test_rate_and_length_combine(self, registry: Registry) -> None:
        """Seedance 1.5 Pro: 1.75 credits/s at 480p and 15 credits/s at 1080p, times the seconds."""
        assert registry.price("bytedance/seedance-1.5-pro", {"resolution": "480p", "duration": "4"}) == 7
        assert registry.price("bytedance/seedance-1.5-pro", {"resolution": "1080p", "duration": "12"}) == 180

    def test_fixed_length_video_uses_its_declared_seconds(self, registry: Registry) -> None:
        """Wan 2.7 has no duration field: 5 s at 16 or 24 credits/s."""
        assert registry.price("wan/2-7-text-to-video", {"resolution": "720p"}) == 80
        assert registry.price("wan/2-7-text-to-video", {"resolution": "1080p"}) == 120

    def test_text_length_drives_a_per_character_price(self, registry: Registry) -> None:
        """Dialogue v3 costs 14 credits per 1000 characters, pro rata, rounded up."""

        def lines(n: int) -> list[dict[str, str]]:
            return [{"text": "x" * n, "voice": VOICE}]

        model = "elevenlabs/text-to-dialogue-v3"
        assert registry.price(model, {"dialogue": lines(1000)}) == 14
        assert registry.price(model, {"dialogue": lines(500) + lines(1500)}) == 28
        assert registry.price(model, {"dialogue": lines(10)}) == 1

    def test_fractional_prices_round_up_to_whole_credits(self, registry: Registry) -> None:
        """Seedream 4.5 at $0.0325 is 6.5 credits, charged as 7; z-image at 0.8 is charged 1."""
        assert registry.price("seedream/4.5-text-to-image") == 7
        assert registry.price("z-image") == 1

    def test_upscale_factor_changes_price(self, registry: Registry) -> None:
        """Topaz costs more for bigger upscale factors."""
        prices = [registry.price("topaz/image-upscale", {"upscale_factor": f}) for f in ("2", "4", "8")]
        assert prices == sorted(prices) and len(set(prices)) == 3

    def test_missing_text_for_a_per_character_price_names_the_field(self, registry: Registry) -> None:
        """Without the text there is nothing to count: InputError names the field."""
        with pytest.raises(InputError) as caught:
            registry.price("elevenlabs/text-to-speech-turbo-2-5", {})
        assert caught.value.field == "text"

    def test_starting_price_is_the_cheapest_choice(self, registry: Registry) -> None:
        """Wan 2.6's menu price is 720p for 5 s, below its 1080p default."""
        assert registry.starting_price("wan/2-6-text-to-video") == 70
        assert registry.price("wan/2-6-text-to-video") == 105
