"""How parameter names, values and times read to a user, in their language."""

from __future__ import annotations

from shared.catalog import Field
from shared.chat.texts import Language, Texts
from shared.chat.voices import VOICES

__all__ = ["duration", "field_label", "value_label", "voice_label"]


def field_label(texts: Texts, field: Field, language: Language) -> str:
    """The catalog's name for a parameter, or its registry name made readable."""
    fallback = field.name.replace("_", " ")
    return texts.maybe(f"param_{field.name}", language) or fallback[:1].upper() + fallback[1:]


def value_label(texts: Texts, field: Field, value: object, language: Language) -> str:
    """A parameter value as shown on buttons and the confirm screen."""
    if value is None:
        return texts.get("value_unset", language)
    if isinstance(value, bool):
        return texts.get("value_true" if value else "value_false", language)
    if field.name == "voice" and isinstance(value, str) and value in VOICES:
        return voice_label(texts, value, language)
    if isinstance(value, str):
        named = texts.maybe(f"value_{field.name}_{value}", language) or texts.maybe(
            f"value_{value}", language
        )
        if named is not None:
            return named
    return f"{value:g}" if isinstance(value, float) else str(value)


def voice_label(texts: Texts, voice_id: str, language: Language) -> str:
    """A voice by its name and gender ("James, male voice"); an unknown id as it is."""
    if voice_id not in VOICES:
        return voice_id
    name, gender = VOICES[voice_id]
    return texts.get(f"voice_{gender}", language, name=name)


def duration(texts: Texts, seconds: int, language: Language) -> str:
    """A rough duration: "about 40 s", "about 3 min"."""
    if seconds < 90:
        return texts.get("seconds", language, n=seconds)
    return texts.get("minutes", language, n=round(seconds / 60))
