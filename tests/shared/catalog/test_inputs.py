"""validate_input accepts valid parameters and names the offending field otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from shared.catalog import InputError, Registry, UnknownModelError

IMAGE = "https://files.example.com/in.png"


def _error(registry: Registry, model_id: str, data: Any) -> InputError:
    with pytest.raises(InputError) as caught:
        registry.validate_input(model_id, data)
    return caught.value


class TestValidateInput:
    def test_valid_input_passes(self, registry: Registry) -> None:
        """Defaults plus a prompt are a valid Nano Banana 2 request."""
        registry.validate_input(
            "nano-banana-2", {**registry.default_params("nano-banana-2"), "prompt": "a cat"}
        )

    def test_missing_required_field_is_named(self, registry: Registry) -> None:
        """A missing prompt is reported as field 'prompt'."""
        error = _error(registry, "nano-banana-2", {"resolution": "1K"})
        assert (error.model_id, error.field, error.reason) == ("nano-banana-2", "prompt", "is required")
        assert str(error) == "model 'nano-banana-2' field 'prompt': is required"

    def test_required_field_with_default_must_still_be_sent(self, registry: Registry) -> None:
        """KIE requires Kling 2.6's `sound` even though the registry has a default for the wizard."""
        error = _error(
            registry, "kling-2.6/text-to-video", {"prompt": "a cat", "aspect_ratio": "1:1", "duration": "5"}
        )
        assert error.field == "sound"

    def test_enum_value_outside_the_enum_is_named(self, registry: Registry) -> None:
        """An unknown resolution names the field and lists the allowed values."""
        error = _error(registry, "nano-banana-2", {"prompt": "a cat", "resolution": "8K"})
        assert error.field == "resolution"
        assert "'8K' is not one of ['1K', '2K', '4K']" in error.reason

    def test_enum_is_type_strict(self, registry: Registry) -> None:
        """Duration 5 (a number) is not the enum value "5"."""
        error = _error(registry, "kling/v2-1-standard", {"prompt": "p", "image_url": IMAGE, "duration": 5})
        assert error.field == "duration"

    def test_prompt_over_max_length_is_named(self, registry: Registry) -> None:
        """z-image takes at most 1000 characters."""
        error = _error(registry, "z-image", {"prompt": "x" * 1001, "aspect_ratio": "1:1"})
        assert error.field == "prompt" and "limit is 1000" in error.reason

    def test_blank_required_prompt_is_rejected(self, registry: Registry) -> None:
        """A prompt of spaces counts as empty."""
        assert _error(registry, "z-image", {"prompt": "   ", "aspect_ratio": "1:1"}).field == "prompt"

    def test_too_many_images_are_rejected(self, registry: Registry) -> None:
        """Nano Banana Edit takes at most 10 images."""
        error = _error(registry, "google/nano-banana-edit", {"prompt": "p", "image_urls": [IMAGE] * 11})
        assert error.field == "image_urls" and "at most 10" in error.reason

    def test_empty_image_list_is_rejected_when_required(self, registry: Registry) -> None:
        """A required image list needs at least one URL."""
        assert (
            _error(registry, "google/nano-banana-edit", {"prompt": "p", "image_urls": []}).field
            == "image_urls"
        )

    def test_non_url_media_is_rejected(self, registry: Registry) -> None:
        """Media fields take http(s) URLs, not Telegram file ids."""
        error = _error(registry, "recraft/remove-background", {"image": "AgACAgIAAxkBAAIB"})
        assert error.field == "image"

    def test_number_out_of_range_is_named(self, registry: Registry) -> None:
        """ElevenLabs speed must stay within 0.7..1.2."""
        data = {"text": "hi", "voice": "EkK5I93UQWFDigLMpZcX", "speed": 2}
        assert _error(registry, "elevenlabs/text-to-speech-turbo-2-5", data).field == "speed"

    def test_bool_field_rejects_strings(self, registry: Registry) -> None:
        """A bool field does not accept "true"."""
        data = {"prompt": "p", "sound": "true", "aspect_ratio": "1:1", "duration": "5"}
        assert _error(registry, "kling-2.6/text-to-video", data).field == "sound"

    def test_dialogue_line_with_unknown_voice_is_named(self, registry: Registry) -> None:
        """Each dialogue line needs a known voice."""
        data = {"dialogue": [{"text": "hello", "voice": "nobody"}]}
        assert _error(registry, "elevenlabs/text-to-dialogue-v3", data).field == "dialogue"

    def test_unknown_fields_are_ignored_like_kie(self, registry: Registry) -> None:
        """Extra keys pass, as KIE silently ignores them."""
        registry.validate_input("z-image", {"prompt": "p", "aspect_ratio": "1:1", "nsfw_checker": True})

    def test_input_must_be_an_object(self, registry: Registry) -> None:
        """A list instead of an object is reported as field 'input'."""
        assert _error(registry, "z-image", ["prompt"]).field == "input"

    def test_unknown_model_raises(self, registry: Registry) -> None:
        """Validating for an unknown model raises UnknownModelError."""
        with pytest.raises(UnknownModelError):
            registry.validate_input("no-such-model", {})


class TestSunoRules:
    def test_simple_mode_needs_a_short_prompt(self, registry: Registry) -> None:
        """Without custom mode the prompt is required and limited to 500 characters."""
        base = {"customMode": False, "instrumental": False}
        assert _error(registry, "V5", base).field == "prompt"
        assert "limit is 500" in _error(registry, "V5", {**base, "prompt": "x" * 501}).reason
        registry.validate_input("V5", {**base, "prompt": "x" * 500})

    def test_custom_mode_needs_style_and_title(self, registry: Registry) -> None:
        """Custom mode requires style and title, and lyrics unless instrumental."""
        base = {"customMode": True, "instrumental": False, "prompt": "la la la"}
        assert _error(registry, "V5", base).field == "style"
        assert _error(registry, "V5", {**base, "style": "jazz"}).field == "title"
        registry.validate_input("V5", {**base, "style": "jazz", "title": "Night", "prompt": "x" * 4000})

    def test_custom_instrumental_needs_no_lyrics(self, registry: Registry) -> None:
        """An instrumental custom track needs only style and title."""
        registry.validate_input(
            "V5", {"customMode": True, "instrumental": True, "style": "ambient", "title": "Sea"}
        )
