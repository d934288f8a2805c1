"""Every user-facing sentence of the bot, in Russian and English catalogs; handlers hold no text."""

from shared.chat.texts.catalog import Language, Texts, credits_word

__all__ = ["Language", "Texts", "credits_word"]
