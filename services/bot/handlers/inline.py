"""Inline mode: ``@bot <prompt>`` in any chat offers a picture at its price; its sender's Generate runs it.

The offer is the operator's default text-to-image model with its defaults and the prompt; its draft is
kept in Redis (`services.bot.inline_drafts`), the button carries only the draft id. An empty query gets
no result, only Telegram's button above the results that opens the bot: an offer of nothing, if chosen,
would post a useless message into someone else's chat.

Generate is for the sender alone (anyone else is told so and nothing is charged). It holds the credits
through the same `JobStore.create_job` as any generation (same limits, same ledger path), with the
inline message as the delivery target (the job's chat is the sender's own chat with the bot), and turns
the message into a progress line; the jobs program then edits the picture into it. Short of credits,
the press is answered with an alert and the message gains a Buy credits button deep-linking into the bot.
"""

from __future__ import annotations

import structlog
from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, InlineQuery
from telegram.error import BadRequest

from services.bot.handlers.deps import BotDeps
from services.bot.inline_drafts import InlineDraft, draft_id_for
from services.bot.telegram_errors import is_not_modified
from services.bot.views.inline import hint_button, offer_result, offer_text, progress_text, short_markup
from shared.catalog import FieldKind, GenType, InputError, Model, Registry
from shared.chat.callbacks import decode
from shared.chat.texts import Language
from shared.jobs import NewJob
from shared.jobs.limits import DailyCapReached, JobLimitReached, TooManyActiveJobs
from shared.ledger import InsufficientCredits, UnknownUser

__all__ = ["offer_params", "on_inline_press", "on_inline_query"]

log = structlog.get_logger()


def offer_params(registry: Registry, model: Model, prompt: str) -> dict[str, object]:
    """The model's defaults with ``prompt`` as its text (its "prompt" field, else its first text field).

    Raises InputError when the prompt does not fit the model (or the model still needs something else).
    """
    fields = [field for field in model.fields if field.kind is FieldKind.TEXT]
    field = next((f for f in fields if f.name == "prompt"), fields[0] if fields else None)
    params: dict[str, object] = dict(registry.default_params(model.id))
    if field is not None:
        params[field.name] = prompt
    registry.validate_input(model.id, params)
    return params


async def on_inline_query(deps: BotDeps, query: InlineQuery) -> None:
    """Answer a typed inline query with one priced offer (none for an empty or unfit prompt)."""
    user = query.from_user
    language = await deps.prefs.language(user.id, user.language_code)
    registry, texts = deps.catalog.current(), deps.texts
    prompt = query.query.strip()
    if not prompt or GenType.TEXT_TO_IMAGE not in registry.types() or deps.inline is None:
        await query.answer(
            [], cache_time=0, is_personal=True, button=hint_button(texts, "inline_type_prompt", language)
        )
        return
    model = registry.default_model(GenType.TEXT_TO_IMAGE)
    try:
        params = offer_params(registry, model, prompt)
    except InputError as exc:
        log.info("inline_prompt_unfit", model=model.id, reason=str(exc))
        name = model.name.get(language.value)
        await query.answer(
            [],
            cache_time=0,
            is_personal=True,
            button=hint_button(texts, "inline_unfit", language, model=name),
        )
        return
    draft = InlineDraft(
        draft_id=draft_id_for(user.id, query.id),
        user_id=user.id,
        first_name=user.first_name,
        language=language.value,
        prompt=prompt,
        model_id=model.id,
        params=params,
        price=registry.price(model.id, params),
        own_chat=query.chat_type == "sender",
    )
    await deps.inline.save(draft)
    await query.answer([offer_result(texts, draft, model, language)], cache_time=0, is_personal=True)
    log.info("inline_offered", model=model.id, price=draft.price)


async def on_inline_press(deps: BotDeps, query: CallbackQuery, bot: Bot) -> None:
    """Generate on an inline message: the sender's own press starts the job; every press is answered."""
    callback = decode(query.data)
    draft_id = (callback.arg(0) if callback is not None else None) or ""
    draft = await deps.inline.load(draft_id) if deps.inline is not None else None
    presser = await deps.prefs.language(query.from_user.id, query.from_user.language_code)
    registry = deps.catalog.current()
    if draft is None or draft.model_id not in registry or query.inline_message_id is None:
        await query.answer(deps.texts.get("inline_expired", presser, bot=bot.username), show_alert=True)
        return
    if query.from_user.id != draft.user_id:
        log.info("inline_press_not_sender")
        text = deps.texts.get("inline_not_yours", presser, name=draft.first_name, bot=bot.username)
        await query.answer(text, show_alert=True)
        return
    await _start(deps, query, bot, draft, registry.get(draft.model_id), query.inline_message_id)


async def _start(
    deps: BotDeps, query: CallbackQuery, bot: Bot, draft: InlineDraft, model: Model, inline_message_id: str
) -> None:
    language = Language.parse(draft.language) or Language.EN
    texts = deps.texts
    balance = await deps.ledger.balance(draft.user_id)
    if balance < draft.price:
        await _short(deps, query, bot, draft, model, balance)
        return
    new = NewJob.for_model(
        deps.catalog.current(),
        user_id=draft.user_id,
        chat_id=draft.user_id,
        model_id=draft.model_id,
        params=draft.params,
        price_credits=draft.price,
        job_id=draft.job_id,
        inline_message_id=inline_message_id,
        inline_own_chat=draft.own_chat,
    )
    try:
        outcome = await deps.jobs.create_job(new)
    except InsufficientCredits as exc:
        await _short(deps, query, bot, draft, model, exc.balance)
        return
    except UnknownUser:
        await _short(deps, query, bot, draft, model, 0)
        return
    except JobLimitReached as exc:
        await query.answer(_limit_text(deps, exc, language), show_alert=True)
        return
    if not outcome.changed:
        await query.answer(texts.get("inline_already", language))
        return
    log.info("inline_job_created", model=model.id, price=draft.price)
    await _edit(bot, inline_message_id, progress_text(texts, draft, model, language), None)
    await query.answer(texts.get("inline_started", language))


async def _short(
    deps: BotDeps, query: CallbackQuery, bot: Bot, draft: InlineDraft, model: Model, balance: int
) -> None:
    """Not enough credits: an alert, and a Buy credits button on the inline message."""
    language = Language.parse(draft.language) or Language.EN
    texts = deps.texts
    log.info("inline_insufficient", price=draft.price, balance=balance)
    alert = texts.get(
        "inline_insufficient_alert",
        language,
        price=texts.credits(draft.price, language),
        balance=texts.credits(balance, language),
    )
    await query.answer(alert, show_alert=True)
    text = texts.get("inline_insufficient", language, offer=offer_text(texts, draft, model, language))
    assert query.inline_message_id is not None
    await _edit(bot, query.inline_message_id, text, short_markup(texts, draft, language, bot.username))


async def _edit(bot: Bot, inline_message_id: str, text: str, markup: InlineKeyboardMarkup | None) -> None:
    try:
        await bot.edit_message_text(text, inline_message_id=inline_message_id, reply_markup=markup)
    except BadRequest as exc:
        if not is_not_modified(exc):
            raise


def _limit_text(deps: BotDeps, exc: JobLimitReached, language: Language) -> str:
    texts = deps.texts
    if isinstance(exc, TooManyActiveJobs):
        return texts.get("money_too_many_jobs", language, limit=exc.limit)
    if isinstance(exc, DailyCapReached):
        cap, left = (texts.credits(n, language) for n in (exc.cap, exc.left))
        return texts.get("money_daily_cap", language, cap=cap, left=left)
    raise exc
