"""The screen of one wizard step: the question, its limits, and the buttons that answer it."""

from __future__ import annotations

from collections.abc import Sequence

from services.bot.views.quick import back_row, quick_header, quick_row
from services.bot.views.screen import Button, Screen, grid
from services.bot.wizard.engine import choice_values, media_count
from services.bot.wizard.plan import Step, StepKind, is_required, plan, text_limit
from services.bot.wizard.state import WizardState
from shared.catalog import FieldKind, InputError, Model, Registry
from shared.catalog.schema import scalar_equal
from shared.chat.callbacks import Op, encode
from shared.chat.labels import field_label, value_label, voice_label
from shared.chat.texts import Language, Texts

__all__ = ["MEDIA_LIMIT_MB", "step_callback", "step_screen"]

MEDIA_LIMIT_MB = 20
"""Bots can download files up to 20 MB with getFile."""

ACTION_CHOOSE = "v"
ACTION_SKIP = "s"
ACTION_DONE = "d"
ACTION_CANCEL = "x"


def step_callback(state: WizardState, action: str) -> str:
    """callback_data of a button on the current step of ``state``."""
    return encode(Op.STEP, state.sid, state.step, action)


def _option_prices(registry: Registry, model: Model, state: WizardState, step: Step) -> list[int] | None:
    """The price each option leads to, or None when the price does not depend on this step."""
    try:
        prices = [
            registry.price(model.id, {**state.params, step.name: value}) for value in choice_values(step)
        ]
    except InputError:  # the price also needs an answer not given yet (a text's length)
        return None
    return prices if len(set(prices)) > 1 else None


def _choice(texts: Texts, registry: Registry, model: Model, state: WizardState, language: Language) -> Screen:
    step = plan(model)[state.step]
    prices = _option_prices(registry, model, state, step)
    current = state.params.get(step.name)
    buttons: list[Button] = []
    for index, value in enumerate(choice_values(step)):
        label = value_label(texts, step.field, value, language)
        if prices is not None:
            price = texts.credits(prices[index], language)
            label = texts.get("btn_option_priced", language, value=label, price=price)
        if current is not None and scalar_equal(current, value):
            label = texts.get("mark_current", language, value=label)
        buttons.append(Button(label, step_callback(state, f"{ACTION_CHOOSE}{index}")))
    name = field_label(texts, step.field, language)
    if step.field.kind is FieldKind.BOOL:
        question = texts.get("step_bool", language, label=name)
    else:
        question = texts.get("step_enum_priced" if prices else "step_enum", language, label=name)
    per_row = 1 if prices is not None else (2 if len(buttons) <= 6 else 3)
    rows = grid(buttons, per_row)
    if current is None and not is_required(model, step.field, state.params):
        rows += ((Button(texts.get("btn_skip", language), step_callback(state, ACTION_SKIP)),),)
    return Screen(question, rows)


def _limit(texts: Texts, value: float | None, language: Language) -> str:
    return texts.get("no_value", language) if value is None else f"{value:g}"


def _number(texts: Texts, model: Model, state: WizardState, language: Language) -> Screen:
    field = plan(model)[state.step].field
    lines = [
        texts.get(
            "step_number",
            language,
            label=field_label(texts, field, language),
            minimum=_limit(texts, field.minimum, language),
            maximum=_limit(texts, field.maximum, language),
        )
    ]
    rows: tuple[tuple[Button, ...], ...] = ()
    if field.default is not None:
        shown = value_label(texts, field, field.default, language)
        lines.append(texts.get("step_number_default", language, value=shown))
        rows = ((Button(texts.get("btn_keep", language, value=shown), step_callback(state, ACTION_SKIP)),),)
    elif not is_required(model, field, state.params):
        rows = ((Button(texts.get("btn_skip", language), step_callback(state, ACTION_SKIP)),),)
    return Screen("\n".join(lines), rows)


def _media(texts: Texts, model: Model, state: WizardState, language: Language) -> Screen:
    step = plan(model)[state.step]
    field = step.field
    count = media_count(state, step)
    required = is_required(model, field, state.params)
    if field.kind is FieldKind.IMAGE and field.multiple:
        lines = [texts.get("step_images", language, maximum=field.max_items or 1, count=count)]
        minimum = field.min_items or (1 if required else 0)
        if minimum > 1:
            lines.append(texts.get("step_images_min", language, minimum=minimum))
    elif field.kind is FieldKind.IMAGE:
        lines = [texts.get("step_image", language)]
    else:
        lines = [texts.get(f"step_{field.kind.value}", language, limit=MEDIA_LIMIT_MB)]
    buttons: list[Button] = []
    if field.multiple and count >= max(field.min_items or 0, 1):
        buttons.append(Button(texts.get("btn_done", language), step_callback(state, ACTION_DONE)))
    if not required and count == 0:
        lines.append(texts.get("step_optional", language))
        buttons.append(Button(texts.get("btn_skip", language), step_callback(state, ACTION_SKIP)))
    return Screen("\n".join(lines), (tuple(buttons),) if buttons else ())


def _text(texts: Texts, model: Model, state: WizardState, language: Language) -> Screen:
    step = plan(model)[state.step]
    field = step.field
    if step.kind is StepKind.DIALOGUE:
        voices = "\n".join(
            texts.get("voice_choice", language, n=n, name=voice_label(texts, voice, language))
            for n, voice in enumerate(field.voices, start=1)
        )
        return Screen(texts.get("step_dialogue", language, voices=voices))
    limit = text_limit(model, field, state.params)
    label = field_label(texts, field, language)
    key = "step_prompt" if field.name in ("prompt", "text") else "step_text"
    lines = [texts.get(key if limit is not None else f"{key}_any", language, label=label, limit=limit)]
    rows: tuple[tuple[Button, ...], ...] = ()
    if not is_required(model, field, state.params):
        lines.append(texts.get("step_optional", language))
        rows = ((Button(texts.get("btn_skip", language), step_callback(state, ACTION_SKIP)),),)
    return Screen("\n".join(lines), rows)


def step_screen(
    texts: Texts, registry: Registry, model: Model, state: WizardState, language: Language
) -> Screen:
    """The current step of ``state`` as a screen, headed by the model and step number."""
    steps: Sequence[Step] = plan(model)
    kind = steps[state.step].kind
    if kind is StepKind.CHOICE:
        body = _choice(texts, registry, model, state, language)
    elif kind is StepKind.NUMBER:
        body = _number(texts, model, state, language)
    elif kind is StepKind.MEDIA:
        body = _media(texts, model, state, language)
    else:
        body = _text(texts, model, state, language)
    cancel = (Button(texts.get("btn_cancel", language), step_callback(state, ACTION_CANCEL)),)
    if state.quick:
        header = quick_header(texts, registry, model, state, language)
        extra = (
            back_row(texts, state, language) if state.editing else quick_row(texts, model, state, language)
        )
        return Screen(f"{header}\n\n{body.text}", (*body.rows, extra, cancel))
    header = texts.get(
        "step_header", language, model=model.name.get(language.value), n=state.step + 1, total=len(steps)
    )
    return Screen(f"{header}\n\n{body.text}", (*body.rows, cancel))
