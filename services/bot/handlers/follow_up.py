"""Follow-up buttons under a delivered result: the offer with its price, then the priced job.

A press on U2, V1 or 1080p shows what it makes, its price and the balance, with a Run button. Run
creates a job like Generate does (job id from the update, hold in the same transaction, refused with
the Buy offer when the balance is short), whose params carry the follow-up request; the jobs program
submits it to the result's KIE API and settles it like any job. Nothing reaches KIE unpaid.
"""

from __future__ import annotations

import structlog

from services.bot.handlers.generate import job_id_for, start_job
from services.bot.handlers.turn import Stale, Turn
from services.bot.handlers.wizard import find_job
from services.bot.views import Button, Screen
from shared.catalog import Model
from shared.chat.callbacks import Callback, Op, encode
from shared.chat.follow_ups import Offer, Press, follow_data, offers, parse_press, settings_of
from shared.jobs import Job, JobState, NewJob

__all__ = ["on_follow"]

log = structlog.get_logger()

_DELIVERING = (JobState.SUCCEEDED, JobState.SUBMITTED)
"""A result's buttons come with its first file, before the job is captured (after its last file), so
a press may find the job still `submitted`. KIE checks the task is finished: a follow-up of one that
is not is refused and refunded like any rejected job."""


async def on_follow(turn: Turn, callback: Callback) -> str | None:
    """Show a follow-up's offer, or (Run) start it."""
    press = parse_press(callback)
    if press is None:
        raise Stale()
    job = await find_job(turn, press.ref)
    if job is None:
        raise Stale("job_gone")
    if job.state not in _DELIVERING or press.offer not in offers(turn.registry, job):
        return turn.t("follow_unavailable")
    model = turn.registry.get(job.model_id)
    price = turn.registry.follow_up_price(model.id, press.offer.action, settings_of(job.params))
    assert price is not None  # `offers` lists only priced follow-ups
    if not press.run:
        await _offer(turn, model, job, press.offer, price)
        return None
    return await _run(turn, model, job, press, price)


async def _offer(turn: Turn, model: Model, job: Job, offer: Offer, price: int) -> None:
    credits = turn.deps.texts.credits
    text = turn.t(
        "follow_confirm",
        model=model.name.get(turn.language.value),
        action=offer.describe(turn.deps.texts, turn.language),
        price=credits(price, turn.language),
        balance=credits(await turn.deps.ledger.balance(turn.user_id), turn.language),
    )
    run = Button(
        turn.t("btn_follow_run", price=credits(price, turn.language)), follow_data(job.id, offer, run=True)
    )
    await turn.send(Screen(text, ((run,), (Button(turn.t("btn_cancel"), encode(Op.MENU)),))))


async def _run(turn: Turn, model: Model, job: Job, press: Press, price: int) -> str | None:
    request = press.offer.request(job)
    new = NewJob(
        user_id=turn.user_id,
        chat_id=turn.chat_id,
        model_id=model.id,
        params={**settings_of(job.params), **request.to_params()},
        price_credits=price,
        time_limit_seconds=model.time_limit_seconds,
        typical_seconds=model.typical_seconds,
    )
    if not await start_job(turn, turn.deps.jobs, model, new, job_id_for(turn.user_id, turn.update_id)):
        return None
    await turn.drop_buttons()
    log.info("follow_up_created", model=model.id, action=request.action.value, price=price)
    return turn.t("gen_started")
