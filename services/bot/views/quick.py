"""The quick path's extras: the model-and-price header, the Model / Settings row, the menu-text offer."""

from __future__ import annotations

from services.bot.views.screen import Button, Screen, grid
from services.bot.wizard.state import WizardState
from shared.catalog import GenType, InputError, Model, Registry
from shared.chat.callbacks import Op, encode
from shared.chat.texts import Language, Texts

__all__ = [
    "CONFIRM_BACK",
    "CONFIRM_MODEL",
    "CONFIRM_SETTINGS",
    "DRAFT_TYPES",
    "PHOTO_TYPES",
    "back_row",
    "draft_offer",
    "photo_offer",
    "quick_header",
    "quick_row",
]

CONFIRM_MODEL = "m"
"""Confirm-scheme action: list the other models of the wizard's type."""
CONFIRM_SETTINGS = "e"
"""Confirm-scheme action: the picker of which answer to change."""
CONFIRM_BACK = "b"
"""Confirm-scheme action: back to where the wizard stands (the prompt, or confirm)."""

DRAFT_TYPES = (GenType.TEXT_TO_IMAGE, GenType.TEXT_TO_VIDEO, GenType.MUSIC, GenType.TEXT_TO_SPEECH)
"""What text typed at the menu can become, in button order."""

PHOTO_TYPES = (
    GenType.IMAGE_EDIT,
    GenType.IMAGE_TO_VIDEO,
    GenType.UPSCALE,
    GenType.BACKGROUND_REMOVAL,
    GenType.TEXT_TO_IMAGE,
)
"""What a picture sent at any time can go into, in button order (text-to-image takes it as a reference)."""

_PREVIEW_CHARS = 200


def quick_header(
    texts: Texts, registry: Registry, model: Model, state: WizardState, language: Language
) -> str:
    """ "Model · price", or "from" the starting price while the price still needs an answer (a text)."""
    name = model.name.get(language.value)
    try:
        price = registry.price(model.id, state.params)
    except InputError:
        price = registry.starting_price(model.id)
        return texts.get("quick_header_from", language, model=name, price=texts.credits(price, language))
    return texts.get("quick_header", language, model=name, price=texts.credits(price, language))


def quick_row(texts: Texts, model: Model, state: WizardState, language: Language) -> tuple[Button, ...]:
    """Model and Settings: for those who want to choose, one tap away from the prompt."""
    return (
        Button(
            texts.get("btn_model", language, name=model.name.get(language.value)),
            encode(Op.CONFIRM, state.sid, CONFIRM_MODEL),
        ),
        Button(texts.get("btn_quick_settings", language), encode(Op.CONFIRM, state.sid, CONFIRM_SETTINGS)),
    )


def back_row(texts: Texts, state: WizardState, language: Language) -> tuple[Button, ...]:
    """Back from changing one setting, leaving it as it was."""
    return (Button(texts.get("btn_back", language), encode(Op.CONFIRM, state.sid, CONFIRM_BACK)),)


def photo_offer(texts: Texts, registry: Registry, language: Language, caption: str | None) -> Screen:
    """A picture sent any time: edit it, animate it, upscale it, remove its background, use as reference."""
    buttons = [
        Button(texts.get(f"btn_photo_{gen_type.value}", language), encode(Op.PHOTO, gen_type.value))
        for gen_type in PHOTO_TYPES
        if gen_type in registry.types()
    ]
    text = (
        texts.get("photo_offer_caption", language, caption=caption)
        if caption
        else texts.get("photo_offer", language)
    )
    menu = (Button(texts.get("btn_menu", language), encode(Op.MENU)),)
    return Screen(text, (*grid(buttons, 2), menu))


def draft_offer(texts: Texts, registry: Registry, language: Language, text: str) -> Screen:
    """Text typed at the menu: offer to make an image, a video, a song or speech of it."""
    preview = (
        text if len(text) <= _PREVIEW_CHARS else text[: _PREVIEW_CHARS - 1] + texts.get("ellipsis", language)
    )
    buttons = [
        Button(texts.get(f"btn_make_{gen_type.value}", language), encode(Op.DRAFT, gen_type.value))
        for gen_type in DRAFT_TYPES
        if gen_type in registry.types()
    ]
    menu = (Button(texts.get("btn_menu", language), encode(Op.MENU)),)
    return Screen(texts.get("draft_offer", language, preview=preview), (*grid(buttons, 2), menu))
