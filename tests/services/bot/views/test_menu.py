"""Reuse menus offer only what fits the media: a picture goes to picture models only."""

from __future__ import annotations

from services.bot.views.menu import type_menu
from shared.catalog import GenType, load_registry
from shared.chat.texts import Language, Texts

TEXTS = Texts()
REGISTRY = load_registry()


def _listed(ref: str | None) -> set[str]:
    screen = type_menu(TEXTS, REGISTRY, GenType.UPSCALE, Language.EN, ref)
    return {b.data.split(":")[1] for b in screen.buttons() if b.data.startswith("m:")}


class TestReuseFits:
    def test_upscale_for_a_picture_lists_no_video_upscaler(self) -> None:
        """Upscale of a picture result offers the picture upscalers, not the video one."""
        listed = _listed("abc")
        assert "topaz/video-upscale" not in listed and "recraft/crisp-upscale" in listed

    def test_the_plain_list_keeps_every_model(self) -> None:
        """Without a result to reuse, the type lists all its models."""
        assert "topaz/video-upscale" in _listed(None)
