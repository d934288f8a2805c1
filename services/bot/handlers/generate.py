"""Generate: write the job and its credit hold in one transaction, then show the progress message.

The job id is derived from the update, so a re-handled press creates the job once. The wizard is
cleared in the same step, so a second press of the same Generate button is answered as stale.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

import structlog

from services.bot.handlers.turn import Turn
from services.bot.prefs import Choice
from services.bot.views import Button, Screen
from services.bot.wizard.engine import remembered_settings
from services.bot.wizard.state import WizardState
from shared.catalog import InputError, Model
from shared.chat.callbacks import JOB_CANCEL, Op, buy_data, encode, job_ref
from shared.chat.labels import duration
from shared.jobs import JobStore, NewJob
from shared.jobs.limits import DailyCapReached, JobLimitReached, TooManyActiveJobs
from shared.ledger import InsufficientCredits

__all__ = ["generate", "job_id_for", "start_job"]

log = structlog.get_logger()

_NAMESPACE = uuid.UUID("5f1d2a8e-3c4b-4f0a-9e61-7b2d8c9a0e11")


def job_id_for(user_id: int, update_id: int, copy: int = 0) -> uuid.UUID:
    """The job id of a Generate press (``copy``: its place in a batch): the same on every handling."""
    name = f"{user_id}:{update_id}" if copy == 0 else f"{user_id}:{update_id}:{copy}"
    return uuid.uuid5(_NAMESPACE, name)


def progress_screen(turn: Turn, model: Model, job_id: uuid.UUID) -> Screen:
    """The first progress message: queued, with the estimate and a Cancel button."""
    time = duration(turn.deps.texts, model.typical_seconds, turn.language)
    text = turn.t("job_queued", model=model.name.get(turn.language.value), time=time)
    cancel = Button(turn.t("btn_cancel"), encode(Op.JOB, job_ref(job_id), JOB_CANCEL))
    return Screen(text, ((cancel,),))


async def generate(
    turn: Turn, jobs: JobStore, model: Model, state: WizardState, copies: int = 1
) -> str | None:
    """Create the job(s) for the confirmed wizard; tell the user plainly when it cannot run.

    A batch (``copies`` > 1) is that many jobs, each holding and settling its own price; it stops at
    the first one refused.
    """
    price = turn.registry.price(model.id, state.params)
    try:
        new = NewJob.for_model(
            turn.registry, user_id=turn.user_id, chat_id=turn.chat_id, model_id=model.id, params=state.params
        )
    except InputError as exc:
        log.warning("wizard_params_rejected", model=model.id, field=exc.args)
        return turn.t("gen_model_unavailable")
    balance = await turn.deps.ledger.balance(turn.user_id)
    if balance < price * copies:
        await _insufficient(turn, price * copies, balance, None)
        return None
    created = 0
    for copy in range(copies):
        if not await start_job(turn, jobs, model, new, job_id_for(turn.user_id, turn.update_id, copy)):
            break
        created += 1
    if created == 0:
        return None
    await turn.deps.wizards.save(turn.user_id, turn.update_id, state, None)
    settings = remembered_settings(model, state.params)
    await turn.deps.prefs.remember(turn.user_id, model.type.value, Choice(model.id, settings))
    await turn.drop_buttons()
    log.info("job_created", model=model.id, price=price, copies=created)
    return turn.t("gen_started")


async def start_job(turn: Turn, jobs: JobStore, model: Model, new: NewJob, job_id: uuid.UUID) -> bool:
    """One job (its hold taken) with its progress message; False (and the reason said) when it was
    refused: too few credits, or a per-user limit."""
    progress = await turn.send(progress_screen(turn, model, job_id))
    try:
        await jobs.create_job(replace(new, job_id=job_id, progress_message_id=progress.message_id))
    except InsufficientCredits as exc:
        await _insufficient(turn, exc.needed, exc.balance, progress.message_id)
        return False
    except JobLimitReached as exc:
        text = _limit_text(turn, exc)
        await turn.bot.edit_message_text(text, chat_id=turn.chat_id, message_id=progress.message_id)
        return False
    return True


async def _insufficient(turn: Turn, price: int, balance: int, message_id: int | None) -> None:
    text = turn.t(
        "gen_insufficient",
        price=turn.deps.texts.credits(price, turn.language),
        balance=turn.deps.texts.credits(balance, turn.language),
    )
    rows = (
        (Button(turn.t("btn_buy"), buy_data(price - balance)),),
        (Button(turn.t("btn_menu"), encode(Op.MENU)),),
    )
    screen = Screen(text, rows)
    if message_id is None:
        await turn.send(screen)
    else:
        await turn.bot.edit_message_text(
            text, chat_id=turn.chat_id, message_id=message_id, reply_markup=screen.markup()
        )


def _limit_text(turn: Turn, exc: JobLimitReached) -> str:
    """The plain sentence for a job refused by a per-user limit."""
    if isinstance(exc, TooManyActiveJobs):
        return turn.t("money_too_many_jobs", limit=exc.limit)
    if isinstance(exc, DailyCapReached):
        cap, left = (turn.deps.texts.credits(n, turn.language) for n in (exc.cap, exc.left))
        return turn.t("money_daily_cap", cap=cap, left=left)
    raise exc
