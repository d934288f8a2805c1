"""bot: python-telegram-bot workers that handle every user-facing update."""
