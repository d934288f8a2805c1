"""What inline mode shows: the offered result, the message it posts, and that message's later states."""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
)

from services.bot.inline_drafts import InlineDraft
from shared.catalog import Model
from shared.chat.callbacks import Op, encode
from shared.chat.texts import Language, Texts

__all__ = [
    "BUY_START",
    "INLINE_START",
    "buy_link",
    "hint_button",
    "offer_result",
    "offer_text",
    "progress_text",
    "short_markup",
]

INLINE_START = "inline"
"""Start parameter of the button shown above (absent) inline results: opens the bot."""
BUY_START = "buy"
"""Start parameter that opens the bot on the credit packs."""


def _price(texts: Texts, draft: InlineDraft, language: Language) -> str:
    return texts.credits(draft.price, language)


def offer_text(texts: Texts, draft: InlineDraft, model: Model, language: Language) -> str:
    """The message posted in the chat: who makes what with which model, at what price."""
    return texts.get(
        "inline_offer",
        language,
        name=draft.first_name,
        model=model.name.get(language.value),
        prompt=draft.prompt,
        price=_price(texts, draft, language),
    )


def _generate_row(texts: Texts, draft: InlineDraft, language: Language) -> list[InlineKeyboardButton]:
    label = texts.get("btn_inline_generate", language, price=_price(texts, draft, language))
    return [InlineKeyboardButton(label, callback_data=encode(Op.INLINE, draft.draft_id))]


def offer_result(
    texts: Texts, draft: InlineDraft, model: Model, language: Language
) -> InlineQueryResultArticle:
    """The one result offered for a prompt: titled with its price, the prompt as its description."""
    return InlineQueryResultArticle(
        id=draft.draft_id,
        title=texts.get("inline_title", language, price=_price(texts, draft, language)),
        description=draft.prompt,
        input_message_content=InputTextMessageContent(offer_text(texts, draft, model, language)),
        reply_markup=InlineKeyboardMarkup([_generate_row(texts, draft, language)]),
    )


def hint_button(texts: Texts, key: str, language: Language, **values: object) -> InlineQueryResultsButton:
    """The button Telegram shows above the results, opening the bot (used when there is no offer)."""
    return InlineQueryResultsButton(texts.get(key, language, **values), start_parameter=INLINE_START)


def buy_link(bot_username: str) -> str:
    """The deep link that opens the bot on its credit packs."""
    return f"https://t.me/{bot_username}?start={BUY_START}"


def short_markup(
    texts: Texts, draft: InlineDraft, language: Language, bot_username: str
) -> InlineKeyboardMarkup:
    """Generate again (after topping up) and Buy credits, deep-linking into the bot."""
    buy = InlineKeyboardButton(texts.get("btn_buy", language), url=buy_link(bot_username))
    return InlineKeyboardMarkup([_generate_row(texts, draft, language), [buy]])


def progress_text(texts: Texts, draft: InlineDraft, model: Model, language: Language) -> str:
    """The inline message while the picture is made."""
    return texts.get(
        "inline_progress",
        language,
        model=model.name.get(language.value),
        prompt=draft.prompt,
        name=draft.first_name,
        price=_price(texts, draft, language),
    )
