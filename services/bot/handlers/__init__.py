"""The bot's update handlers, one module per screen family, wired onto a PTB Application.

Handler modules hold no user-facing text: every sentence comes from `shared.chat.texts`.
"""

from services.bot.handlers.deps import BotDeps
from services.bot.handlers.registry import register

__all__ = ["BotDeps", "register"]
