"""The reply baseline: one python-telegram-bot ``Application`` answering text the way TRT's bot does.

python -m bench.ptb_reply PORT SECRET TELEGRAM_API_BASE_URL TOKEN

PTB's own ``run_webhook`` with its in-memory queue, concurrent updates, no rate limiter; its handler
answers a text typed at the menu as TRT's does (the same English offer quoting the user's message,
with the same buttons), without TRT's durability: no inbox, no journal, no user lookups, no draft kept.
"""

from __future__ import annotations

import sys

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from shared.chat.texts.quick_en import MESSAGES

PREVIEW_CHARS = 200  # services.bot.views.quick._PREVIEW_CHARS
TYPES = ("text-to-image", "text-to-video", "music", "text-to-speech")
KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton(MESSAGES[f"btn_make_{kind}"], callback_data=f"d:{kind}") for kind in pair]
        for pair in (TYPES[:2], TYPES[2:])
    ]
    + [[InlineKeyboardButton("🏠 Menu", callback_data="m")]]
)


async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a text like TRT's bot answers one typed at the menu."""
    message = update.message
    if message is None or message.text is None:
        return
    preview = message.text[:PREVIEW_CHARS]
    await message.reply_text(
        MESSAGES["draft_offer"].format(preview=preview), reply_markup=KEYBOARD, do_quote=True
    )


def main() -> None:
    port, secret, base_url, token = sys.argv[1:5]
    application = (
        Application.builder()
        .token(token)
        .base_url(f"{base_url}/bot")
        .base_file_url(f"{base_url}/file/bot")
        .concurrent_updates(True)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, reply))
    application.run_webhook(
        listen="127.0.0.1",
        port=int(port),
        url_path="telegram/webhook",
        secret_token=secret,
        webhook_url=f"http://127.0.0.1:{port}/telegram/webhook",
        drop_pending_updates=True,
    )


if __name__ == "__main__":
    main()
