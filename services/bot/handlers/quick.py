"""The quick path: a type starts its usual model with its usual settings and asks only the prompt.

The model is the one the user last ran the type with, else the operator's default from the registry;
the settings are the ones the user last ran that model with, else the registry defaults. Text typed
at the menu is kept as a draft and becomes the prompt of whichever type the user then picks.
"""

from __future__ import annotations

import structlog

from services.bot.handlers.turn import Stale, Turn
from services.bot.handlers.wizard import carried_result, session_id, wizard_screen
from services.bot.views.quick import draft_offer
from services.bot.wizard import engine
from services.bot.wizard.engine import AnswerRejected
from services.bot.wizard.plan import StepKind, plan
from services.bot.wizard.state import WizardState
from shared.catalog import GenType, Model
from shared.chat.callbacks import Callback

__all__ = [
    "begin_quick",
    "offer_draft",
    "on_draft",
    "on_use",
    "open_wizard",
    "start_model",
    "start_type",
    "type_model",
    "with_prompt",
]

log = structlog.get_logger()


async def begin_quick(turn: Turn, model: Model, carried: str | None) -> WizardState:
    """A quick wizard of ``model`` with the user's remembered settings (not saved yet)."""
    choice = await turn.deps.prefs.choice(turn.user_id, model.type.value)
    remembered = choice.settings if choice is not None and choice.model_id == model.id else None
    sid = session_id(turn.update_id)
    return engine.begin(turn.registry, model, sid, carried, quick=True, remembered=remembered)


async def open_wizard(turn: Turn, model: Model, state: WizardState, *, fresh: bool = False) -> None:
    """Save ``state`` as the user's wizard and show where it stands (``fresh``: as a new message)."""
    before = await turn.deps.wizards.load(turn.user_id, turn.update_id)
    await turn.deps.wizards.save(turn.user_id, turn.update_id, before, state)
    log.info("wizard_started", model=model.id, quick=True)
    screen = await wizard_screen(turn, model, state)
    await (turn.send(screen) if fresh else turn.show(screen))


async def on_use(turn: Turn, callback: Callback) -> str | None:
    """A model card's Start (or a result reused as input): that model on the quick path."""
    model_id = callback.arg(0) or ""
    if model_id not in turn.registry:
        raise Stale("unknown_model")
    carried = await carried_result(turn, callback.arg(1))
    await start_model(turn, turn.registry.get(model_id), carried)
    return None


async def start_model(turn: Turn, model: Model, carried: str | None = None) -> None:
    """Open ``model`` on the quick path (``carried``: an earlier result filling its picture)."""
    await open_wizard(turn, model, await begin_quick(turn, model, carried))


async def type_model(turn: Turn, gen_type: GenType) -> Model:
    """The model a type starts with for this user: their last one, else the operator's default."""
    choice = await turn.deps.prefs.choice(turn.user_id, gen_type.value)
    if choice is not None and choice.model_id in turn.registry:
        model = turn.registry.get(choice.model_id)
        if model.type is gen_type:
            return model
    return turn.registry.default_model(gen_type)


async def start_type(turn: Turn, gen_type: GenType) -> None:
    """A type from the menu: straight to its prompt (or the file it needs first)."""
    await start_model(turn, await type_model(turn, gen_type))


async def offer_draft(turn: Turn, text: str) -> None:
    """Text typed at the menu: keep it and offer what to make of it, quoting it."""
    await turn.deps.prefs.set_draft(turn.user_id, text)
    await turn.reply(draft_offer(turn.deps.texts, turn.registry, turn.language, text))


def with_prompt(model: Model, state: WizardState, text: str) -> WizardState:
    """``text`` as the answer of the step the wizard stands on, when that step takes a text."""
    steps = plan(model)
    if state.step >= len(steps) or steps[state.step].kind is not StepKind.TEXT:
        return state
    try:
        return engine.set_text(model, state, text)
    except AnswerRejected:  # too long for this model: the prompt screen says its limit
        return state


async def on_draft(turn: Turn, callback: Callback) -> str | None:
    """ "Make an image / video / song / speech of this": the typed text becomes the prompt."""
    try:
        gen_type = GenType(callback.arg(0) or "")
    except ValueError:
        raise Stale() from None
    text = await turn.deps.prefs.draft(turn.user_id)
    if text is None:
        raise Stale("draft_gone")
    if gen_type not in turn.registry.types():
        raise Stale()
    model = await type_model(turn, gen_type)
    state = with_prompt(model, await begin_quick(turn, model, None), text)
    await open_wizard(turn, model, state)
    return None
