"""Menu buttons: types, models, model cards, help, settings and the language switch."""

from __future__ import annotations

from services.bot.handlers.quick import start_type
from services.bot.handlers.turn import Stale, Turn
from services.bot.views.menu import help_screen, main_menu, model_card, settings_screen, type_menu
from shared.catalog import GenType
from shared.chat.callbacks import TYPE_LIST, Callback
from shared.chat.texts import Language

__all__ = ["on_help", "on_language", "on_menu", "on_model", "on_settings", "on_type", "send_menu"]


async def send_menu(turn: Turn, header: str | None = None) -> None:
    """Post the main menu as a new message, under an optional header line."""
    await turn.send(main_menu(turn.deps.texts, turn.registry, turn.language, header))


async def on_menu(turn: Turn, callback: Callback) -> str | None:
    """Back to the main menu, in place."""
    await turn.show(main_menu(turn.deps.texts, turn.registry, turn.language))
    return None


async def on_type(turn: Turn, callback: Callback) -> str | None:
    """A type: its usual model's prompt; with a second argument, the list of its models, in place."""
    try:
        gen_type = GenType(callback.arg(0) or "")
    except ValueError:
        raise Stale() from None
    if gen_type not in turn.registry.types():
        raise Stale()
    ref = callback.arg(1)
    if ref is None:
        await start_type(turn, gen_type)
        return None
    listed = None if ref == TYPE_LIST else ref
    await turn.show(type_menu(turn.deps.texts, turn.registry, gen_type, turn.language, listed))
    return None


async def on_model(turn: Turn, callback: Callback) -> str | None:
    """A model's card, in place."""
    model_id = callback.arg(0) or ""
    if model_id not in turn.registry:
        raise Stale("unknown_model")
    model = turn.registry.get(model_id)
    await turn.show(model_card(turn.deps.texts, turn.registry, model, turn.language, callback.arg(1)))
    return None


async def on_help(turn: Turn, callback: Callback) -> str | None:
    """How the bot works, as a new message (the menu it came from stays usable)."""
    await turn.send(help_screen(turn.deps.texts, turn.language))
    return None


async def on_settings(turn: Turn, callback: Callback) -> str | None:
    """The settings screen, as a new message."""
    await turn.send(settings_screen(turn.deps.texts, turn.language))
    return None


async def on_language(turn: Turn, callback: Callback) -> str | None:
    """Switch the language; the settings screen is redrawn in it."""
    chosen = Language.parse(callback.arg(0))
    if chosen is None:
        raise Stale()
    await turn.deps.prefs.set_language(turn.user_id, chosen)
    await turn.show(settings_screen(turn.deps.texts, chosen))
    return turn.deps.texts.get("settings_saved", chosen)
