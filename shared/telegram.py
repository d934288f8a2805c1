"""Building python-telegram-bot objects that honour ``TELEGRAM_API_BASE_URL``."""

from __future__ import annotations

from telegram.ext import Application, ApplicationBuilder

from shared.settings import Settings

__all__ = ["build_application"]


def build_application(settings: Settings) -> Application:  # type: ignore[type-arg]
    """An Application with no Updater: updates come from our inbox, never from PTB's own fetching."""
    token = settings.require_telegram().get_secret_value()
    base = settings.TELEGRAM_API_BASE_URL
    return (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .updater(None)
        .build()
    )
