"""Navigation screens: main menu, the models of a type, a model card, help and settings."""

from __future__ import annotations

from services.bot.views.screen import Button, Screen, grid
from shared.catalog import FieldKind, GenType, Model, Registry
from shared.chat.callbacks import TYPE_LIST, Op, buy_data, encode
from shared.chat.labels import duration
from shared.chat.texts import Language, Texts

__all__ = [
    "help_screen",
    "main_menu",
    "model_card",
    "reuse_menu",
    "settings_screen",
    "takes_picture",
    "type_menu",
]

REUSE_TYPES = (GenType.IMAGE_EDIT, GenType.IMAGE_TO_VIDEO, GenType.UPSCALE, GenType.BACKGROUND_REMOVAL)
"""Types whose models take a picture, offered when an earlier result is reused as input."""


def _account_rows(texts: Texts, language: Language) -> tuple[tuple[Button, ...], ...]:
    return (
        (Button(texts.get("btn_buy", language), buy_data()),),
        (
            Button(texts.get("btn_history", language), encode(Op.HISTORY)),
            Button(texts.get("btn_balance", language), encode(Op.BALANCE)),
        ),
        (
            Button(texts.get("btn_settings", language), encode(Op.SETTINGS)),
            Button(texts.get("btn_help", language), encode(Op.HELP)),
        ),
    )


def main_menu(texts: Texts, registry: Registry, language: Language, header: str | None = None) -> Screen:
    """The generation types, then Buy credits, history, balance, settings and help."""
    types = [
        Button(registry.type_label(gen_type).get(language.value), encode(Op.TYPE, gen_type.value))
        for gen_type in registry.types()
    ]
    title = texts.get("menu_title", language)
    text = title if header is None else f"{header}\n\n{title}"
    return Screen(text, grid(types, 2) + _account_rows(texts, language))


def type_menu(
    texts: Texts, registry: Registry, gen_type: GenType, language: Language, ref: str | None = None
) -> Screen:
    """The models of one type, each with its starting price.

    With ``ref`` (an earlier picture to reuse) only the models that take a picture are listed.
    """
    extra = (ref,) if ref else ()
    rows = [
        (
            Button(
                texts.get(
                    "model_button",
                    language,
                    name=model.name.get(language.value),
                    price=texts.credits(registry.starting_price(model.id), language),
                ),
                encode(Op.MODEL, model.id, *extra),
            ),
        )
        for model in registry.by_type(gen_type)
        if ref is None or takes_picture(model)
    ]
    rows.append((Button(texts.get("btn_back", language), encode(Op.MENU)),))
    label = registry.type_label(gen_type).get(language.value)
    return Screen(texts.get("type_title", language, type=label), tuple(rows))


def takes_picture(model: Model) -> bool:
    """Whether an earlier picture can be the model's input (a video upscaler cannot take one)."""
    return any(field.kind is FieldKind.IMAGE for field in model.fields)


def _needs(texts: Texts, model: Model, language: Language) -> str:
    parts: list[str] = []
    for field in model.fields:
        if not field.required and not field.is_media:
            continue
        if field.kind is FieldKind.IMAGE and field.multiple:
            parts.append(texts.get("needs_images", language, max=field.max_items or 1))
        elif field.kind in (FieldKind.IMAGE, FieldKind.VIDEO, FieldKind.AUDIO, FieldKind.DIALOGUE):
            parts.append(texts.get(f"needs_{field.kind.value}", language))
        elif field.kind is FieldKind.TEXT:
            parts.append(texts.get("needs_text", language))
    unique = list(dict.fromkeys(parts))
    return texts.get("needs_separator", language).join(unique) or texts.get("needs_nothing", language)


def model_card(
    texts: Texts, registry: Registry, model: Model, language: Language, ref: str | None = None
) -> Screen:
    """What the model does, what it needs, how long it takes and what it costs from."""
    extra = (ref,) if ref else ()
    text = texts.get(
        "model_card",
        language,
        name=model.name.get(language.value),
        description=model.description.get(language.value),
        needs=_needs(texts, model, language),
        time=duration(texts, model.typical_seconds, language),
        price=texts.credits(registry.starting_price(model.id), language),
    )
    rows = (
        (Button(texts.get("btn_use_model", language), encode(Op.USE, model.id, *extra)),),
        (Button(texts.get("btn_back", language), encode(Op.TYPE, model.type.value, ref or TYPE_LIST)),),
    )
    return Screen(text, rows)


def help_screen(texts: Texts, language: Language) -> Screen:
    """How the bot works, with a way back to the menu."""
    return Screen(texts.get("help", language), ((Button(texts.get("btn_menu", language), encode(Op.MENU)),),))


def settings_screen(texts: Texts, language: Language) -> Screen:
    """The current language and buttons to switch it."""
    rows = (
        (
            Button(texts.get("btn_lang_ru", language), encode(Op.LANGUAGE, Language.RU.value)),
            Button(texts.get("btn_lang_en", language), encode(Op.LANGUAGE, Language.EN.value)),
        ),
        (Button(texts.get("btn_menu", language), encode(Op.MENU)),),
    )
    return Screen(texts.get("settings", language, lang_name=texts.get("language_name", language)), rows)


def reuse_menu(texts: Texts, registry: Registry, language: Language, ref: str) -> Screen:
    """The types that can take an earlier picture result as their input."""
    buttons = [
        Button(registry.type_label(gen_type).get(language.value), encode(Op.TYPE, gen_type.value, ref))
        for gen_type in REUSE_TYPES
        if gen_type in registry.types()
    ]
    back = (Button(texts.get("btn_menu", language), encode(Op.MENU)),)
    return Screen(texts.get("reuse_title", language), (*grid(buttons, 2), back))
