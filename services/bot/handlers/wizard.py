"""Wizard buttons: starting a model, answering choice steps, skip/done/cancel, confirm and edit."""

from __future__ import annotations

import structlog

from services.bot.handlers.generate import generate
from services.bot.handlers.turn import Stale, Turn
from services.bot.views import Screen
from services.bot.views.confirm import (
    BATCH_TYPES,
    BATCHES,
    CONFIRM_CANCEL,
    CONFIRM_EDIT,
    CONFIRM_FIELD,
    CONFIRM_GENERATE,
    confirm_screen,
    edit_screen,
)
from services.bot.views.menu import main_menu, type_menu
from services.bot.views.quick import CONFIRM_MODEL
from services.bot.views.step import ACTION_CANCEL, ACTION_CHOOSE, ACTION_DONE, ACTION_SKIP, step_screen
from services.bot.wizard import engine
from services.bot.wizard.engine import AnswerRejected
from services.bot.wizard.plan import plan
from services.bot.wizard.state import WizardState
from shared.catalog import Model
from shared.chat.callbacks import Callback
from shared.jobs import Job

__all__ = [
    "cancel_wizard",
    "carried_result",
    "find_job",
    "on_confirm",
    "on_step",
    "session_id",
    "wizard_screen",
]

log = structlog.get_logger()

JOB_LOOKUP_LIMIT = 50
"""Results older than the user's last 50 generations cannot be reused from a button."""

_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def session_id(update_id: int) -> str:
    """A wizard session id from the update that began it: re-handling that update yields the same."""
    digits = ""
    number = abs(update_id)
    while True:
        number, rest = divmod(number, 36)
        digits = _BASE36[rest] + digits
        if number == 0:
            return digits


async def wizard_screen(turn: Turn, model: Model, state: WizardState) -> Screen:
    """The screen of where ``state`` stands: its current step, or the confirm screen."""
    texts = turn.deps.texts
    if state.step < len(plan(model)):
        return step_screen(texts, turn.registry, model, state, turn.language)
    balance = await turn.deps.ledger.balance(turn.user_id)
    return confirm_screen(texts, turn.registry, model, state, turn.language, balance)


async def find_job(turn: Turn, ref: str) -> Job | None:
    """The user's recent job whose id starts with ``ref`` (buttons carry a short prefix)."""
    for job in await turn.deps.jobs.recent_jobs(turn.user_id, limit=JOB_LOOKUP_LIMIT):
        if job.id.hex.startswith(ref):
            return job
    return None


async def _load(turn: Turn, sid: str | None) -> tuple[Model, WizardState]:
    state = await turn.deps.wizards.load(turn.user_id, turn.update_id)
    if state is None or state.sid != sid or state.model_id not in turn.registry:
        raise Stale()
    return turn.registry.get(state.model_id), state


async def _save(turn: Turn, before: WizardState | None, after: WizardState | None) -> None:
    await turn.deps.wizards.save(turn.user_id, turn.update_id, before, after)


async def carried_result(turn: Turn, ref: str | None) -> str | None:
    """The first result file of the user's job ``ref`` (None without a ref); stale when it is gone."""
    if ref is None:
        return None
    job = await find_job(turn, ref)
    if job is None or not job.result_urls:
        raise Stale("job_gone")
    return job.result_urls[0]


async def cancel_wizard(turn: Turn, before: WizardState | None) -> None:
    """Forget the wizard and show that nothing was charged, with the menu."""
    await _save(turn, before, None)
    screen = main_menu(turn.deps.texts, turn.registry, turn.language, turn.t("cancelled"))
    if turn.query is not None:
        await turn.show(screen)
    else:
        await turn.send(screen)


def _apply_step(model: Model, state: WizardState, action: str) -> WizardState:
    if action.startswith(ACTION_CHOOSE) and action[1:].isdigit():
        return engine.choose(model, state, int(action[1:]))
    if action == ACTION_SKIP:
        return engine.skip(model, state)
    if action == ACTION_DONE:
        return engine.finish_media(model, state)
    raise Stale()


async def on_step(turn: Turn, callback: Callback) -> str | None:
    """A button of the current step: choose a value, skip, finish media, or cancel."""
    model, state = await _load(turn, callback.arg(0))
    if callback.arg(1) != str(state.step) or state.step >= len(plan(model)):
        raise Stale()
    action = callback.arg(2) or ""
    if action == ACTION_CANCEL:
        await cancel_wizard(turn, state)
        return None
    try:
        after = _apply_step(model, state, action)
    except AnswerRejected:
        raise Stale() from None
    await _save(turn, state, after)
    await turn.show(await wizard_screen(turn, model, after))
    return None


async def _field(turn: Turn, model: Model, state: WizardState, action: str) -> None:
    steps = plan(model)
    if not action[1:].isdigit() or int(action[1:]) >= len(steps):
        raise Stale()
    after = state.at(int(action[1:]), editing=True)
    await _save(turn, state, after)
    await turn.show(await wizard_screen(turn, model, after))


async def _back(turn: Turn, model: Model, state: WizardState) -> None:
    after = state.at(engine.next_needed(model, state), editing=False) if state.quick else state
    if after != state:
        await _save(turn, state, after)
    await turn.show(await wizard_screen(turn, model, after))


def _copies(model: Model, action: str) -> int | None:
    """How many runs a Generate button asks for (None: not a batch this model is offered)."""
    if action == CONFIRM_GENERATE:
        return 1
    size = action[len(CONFIRM_GENERATE) :]
    if size.isdigit() and int(size) in BATCHES and model.type in BATCH_TYPES:
        return int(size)
    return None


async def on_confirm(turn: Turn, callback: Callback) -> str | None:
    """Wizard-wide buttons: Generate, a setting to change, Settings, Model, Cancel, Back."""
    model, state = await _load(turn, callback.arg(0))
    action = callback.arg(1) or ""
    if action == CONFIRM_CANCEL:
        await cancel_wizard(turn, state)
    elif action == CONFIRM_EDIT:
        await turn.show(edit_screen(turn.deps.texts, model, state, turn.language))
    elif action == CONFIRM_MODEL:
        await turn.show(type_menu(turn.deps.texts, turn.registry, model.type, turn.language))
    elif action.startswith(CONFIRM_FIELD):
        await _field(turn, model, state, action)
    elif action.startswith(CONFIRM_GENERATE):
        copies = _copies(model, action)
        if state.step != len(plan(model)) or copies is None:
            raise Stale()
        return await generate(turn, turn.deps.jobs, model, state, copies)
    else:
        await _back(turn, model, state)
    return None
