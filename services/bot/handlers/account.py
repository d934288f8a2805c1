"""Balance, history (open / rerun / reuse as input) and the running job's Cancel button."""

from __future__ import annotations

import structlog

from services.bot.handlers.photo import start_with_picture
from services.bot.handlers.turn import Stale, Turn
from services.bot.handlers.wizard import find_job, session_id, wizard_screen
from services.bot.views import Screen
from services.bot.views.account import (
    HISTORY_OPEN,
    HISTORY_RERUN,
    HISTORY_REUSE,
    balance_screen,
    history_screen,
)
from services.bot.views.confirm import edit_screen
from services.bot.views.menu import main_menu, reuse_menu
from services.bot.wizard.plan import plan
from services.bot.wizard.state import WizardState
from shared.chat.callbacks import CHAIN_TYPES, JOB_CANCEL, JOB_NEW, JOB_REGENERATE, JOB_SETTINGS, Callback
from shared.chat.delivery import TelegramSender
from shared.chat.presentation import PICTURE_TYPES
from shared.jobs import FollowUpRequest, Job

__all__ = ["HISTORY_SIZE", "on_balance", "on_history", "on_job"]

log = structlog.get_logger()

HISTORY_SIZE = 20
MOVEMENTS_SHOWN = 10


async def send_balance(turn: Turn) -> None:
    """The balance card with recent movements."""
    balance = await turn.deps.ledger.balance(turn.user_id)
    movements = await turn.deps.ledger.movements(turn.user_id, limit=MOVEMENTS_SHOWN)
    await turn.send(balance_screen(turn.deps.texts, turn.language, balance, movements))


async def send_history(turn: Turn) -> None:
    """The last 20 generations."""
    jobs = await turn.deps.jobs.recent_jobs(turn.user_id, limit=HISTORY_SIZE)
    await turn.send(history_screen(turn.deps.texts, turn.registry, turn.language, jobs))


async def on_balance(turn: Turn, callback: Callback) -> str | None:
    """The balance button."""
    await send_balance(turn)
    return None


async def _rerun(turn: Turn, job: Job, *, settings: bool = False) -> None:
    """The job's confirm screen again (with ``settings``: the picker of what to change)."""
    if job.model_id not in turn.registry:
        raise Stale("unknown_model")
    if FollowUpRequest.of(job.params) is not None:  # a follow-up has no wizard to go back to
        raise Stale()
    model = turn.registry.get(job.model_id)
    before = await turn.deps.wizards.load(turn.user_id, turn.update_id)
    state = WizardState(
        sid=session_id(turn.update_id),
        model_id=model.id,
        step=len(plan(model)),
        params=dict(job.params),
        quick=True,
    )
    await turn.deps.wizards.save(turn.user_id, turn.update_id, before, state)
    if settings:
        await turn.send(edit_screen(turn.deps.texts, model, state, turn.language))
    else:
        await turn.send(await wizard_screen(turn, model, state))


async def _open(turn: Turn, job: Job) -> None:
    """The result again: by Telegram file_id when it was delivered (never re-uploaded), else a link."""
    cache = turn.deps.file_ids
    known = await cache.lookup(job.result_urls[0]) if cache is not None else None
    if known is not None:
        await TelegramSender(turn.bot).send_file(turn.chat_id, known, _open_caption(turn, job))
        return
    await turn.send(Screen(f"{_open_caption(turn, job)}\n\n" + "\n".join(job.result_urls)))


def _open_caption(turn: Turn, job: Job) -> str:
    name = (
        turn.registry.get(job.model_id).name.get(turn.language.value) if job.model_id in turn.registry else ""
    )
    price = turn.deps.texts.credits(job.price_credits, turn.language)
    return turn.t("history_open_short", model=name, price=price)


def _is_picture(turn: Turn, job: Job) -> bool:
    return job.model_id in turn.registry and turn.registry.get(job.model_id).type in PICTURE_TYPES


async def on_history(turn: Turn, callback: Callback) -> str | None:
    """The history list, or one of its buttons: open, rerun with the same settings, reuse as input."""
    action, ref = callback.arg(0), callback.arg(1)
    if action is None:
        await send_history(turn)
        return None
    job = await find_job(turn, ref or "")
    if job is None:
        raise Stale("job_gone")
    if action == HISTORY_RERUN:
        await _rerun(turn, job)
    elif action == HISTORY_OPEN and job.result_urls:
        await _open(turn, job)
    elif action == HISTORY_REUSE and job.result_urls and _is_picture(turn, job):
        await turn.send(reuse_menu(turn.deps.texts, turn.registry, turn.language, ref or ""))
    else:
        raise Stale()
    return None


async def on_job(turn: Turn, callback: Callback) -> str | None:
    """Buttons of a job's messages: Cancel while it runs; Regenerate, New and chaining on its result."""
    ref, action = callback.arg(0) or "", callback.arg(1) or ""
    job = await find_job(turn, ref)
    if job is None:
        raise Stale("job_gone")
    if action == JOB_CANCEL:
        return await _cancel_job(turn, job)
    if action == JOB_REGENERATE:
        await _rerun(turn, job)
    elif action == JOB_SETTINGS:
        await _rerun(turn, job, settings=True)
    elif action == JOB_NEW:
        await turn.send(main_menu(turn.deps.texts, turn.registry, turn.language))
    elif action in CHAIN_TYPES and job.result_urls and CHAIN_TYPES[action] in turn.registry.types():
        await start_with_picture(turn, CHAIN_TYPES[action], job.result_urls[0], fresh=True)
    else:
        raise Stale()
    return None


async def _cancel_job(turn: Turn, job: Job) -> str | None:
    """Cancel refunds a queued job; once KIE has it, the user only stops waiting (it stays paid)."""
    outcome = await turn.deps.jobs.cancel(job.id, user_id=turn.user_id)
    price = turn.deps.texts.credits(job.price_credits, turn.language)
    if not outcome.job.state.is_terminal:
        if not outcome.changed:
            return turn.t("job_stop_waiting_again")
        log.info("job_stop_waiting_by_user", model=job.model_id, state=outcome.job.state.value)
        note = turn.t("job_stop_waiting", credits=price)
        await turn.show(main_menu(turn.deps.texts, turn.registry, turn.language, note))
        return None
    if not outcome.changed:
        return turn.t("job_already_finished")
    log.info("job_cancelled_by_user", model=job.model_id)
    # A new message: the progress message is the progress updater's, which finalises it itself.
    await turn.send(
        main_menu(turn.deps.texts, turn.registry, turn.language, turn.t("job_cancelled", credits=price))
    )
    return None
