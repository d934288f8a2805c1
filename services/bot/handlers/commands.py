"""Commands: /start (welcome, starter credits, deep links), /help, /cancel, /settings, /menu."""

from __future__ import annotations

import structlog

from services.bot.deeplinks import decode_model
from services.bot.handlers.turn import Turn
from services.bot.handlers.wizard import cancel_wizard
from services.bot.views.menu import help_screen, main_menu, model_card, settings_screen
from shared.ledger import MovementKind

__all__ = ["on_cancel", "on_help", "on_menu", "on_settings", "on_start"]

log = structlog.get_logger()

STARTER_REASON = "starter_credits"


async def _welcome_header(turn: Turn) -> str:
    ledger = turn.deps.ledger
    await ledger.ensure_user(turn.user_id, language=turn.language.value)
    recorded = await ledger.grant(
        turn.user_id,
        turn.deps.starter_credits,
        MovementKind.GRANT,
        STARTER_REASON,
        key=f"starter:{turn.user_id}",
    )
    texts = turn.deps.texts
    balance = await ledger.balance(turn.user_id)
    header = turn.t("welcome", name=turn.first_name, balance=texts.credits(balance, turn.language))
    if recorded.created:
        log.info("starter_credits_granted", amount=turn.deps.starter_credits)
        header += "\n" + turn.t(
            "welcome_gift", amount=texts.credits(turn.deps.starter_credits, turn.language)
        )
    return header


async def on_start(turn: Turn, payload: str | None) -> None:
    """Welcome with the main menu (any wizard is dropped); ``m_<model>`` also opens that model."""
    before = await turn.deps.wizards.load(turn.user_id, turn.update_id)
    if before is not None:
        await turn.deps.wizards.save(turn.user_id, turn.update_id, before, None)
    header = await _welcome_header(turn)
    await turn.send(main_menu(turn.deps.texts, turn.registry, turn.language, header))
    model = decode_model(turn.registry, payload) if payload else None
    if model is not None:
        await turn.send(model_card(turn.deps.texts, turn.registry, model, turn.language))


async def on_menu(turn: Turn) -> None:
    """The main menu as a new message."""
    await turn.send(main_menu(turn.deps.texts, turn.registry, turn.language))


async def on_help(turn: Turn) -> None:
    """How the bot works."""
    await turn.send(help_screen(turn.deps.texts, turn.language))


async def on_settings(turn: Turn) -> None:
    """The language switch."""
    await turn.send(settings_screen(turn.deps.texts, turn.language))


async def on_cancel(turn: Turn) -> None:
    """Drop the wizard, wherever it stood; say so even when there was none."""
    before = await turn.deps.wizards.load(turn.user_id, turn.update_id)
    if before is None:
        await turn.send(main_menu(turn.deps.texts, turn.registry, turn.language, turn.t("nothing_to_cancel")))
        return
    await cancel_wizard(turn, before)
