"""The baseline: python-telegram-bot's own ``run_webhook`` with a no-op handler and its in-memory queue.

python -m bench.ptb_webhook PORT SECRET TELEGRAM_API_BASE_URL TOKEN
"""

from __future__ import annotations

import sys

from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler


async def ignore(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Do nothing: the baseline measures intake only."""


def main() -> None:
    port, secret, base_url, token = sys.argv[1:5]
    application = (
        Application.builder()
        .token(token)
        .base_url(f"{base_url}/bot")
        .base_file_url(f"{base_url}/file/bot")
        .build()
    )
    application.add_handler(TypeHandler(Update, ignore))
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
