"""Wizard transitions: pure functions from a state and an answer to the next state.

They never talk to Telegram; a handler loads the state, applies one transition, saves and renders.
An answer that does not fit the step raises `AnswerRejected` carrying the catalog key explaining why.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from services.bot.wizard.plan import Step, StepKind, is_required, plan, text_limit
from services.bot.wizard.state import WizardState
from shared.catalog import FieldKind, Model, Registry
from shared.errors import TrtError

__all__ = [
    "AnswerRejected",
    "add_media",
    "begin",
    "choice_values",
    "choose",
    "finish_media",
    "media_count",
    "next_needed",
    "parse_dialogue",
    "remembered_settings",
    "set_number",
    "set_text",
    "skip",
]

_VOICE_PREFIX = re.compile(r"^\s*(\d{1,2})\s*:\s*(.*)$")


class AnswerRejected(TrtError, ValueError):
    """The answer does not fit the step; ``key`` and ``values`` name the catalog message to show."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def begin(
    registry: Registry,
    model: Model,
    sid: str,
    carried_url: str | None = None,
    *,
    quick: bool = False,
    remembered: Mapping[str, Any] | None = None,
) -> WizardState:
    """A fresh wizard for ``model`` starting from the registry defaults and the user's remembered choices.

    ``carried_url`` (an earlier result) fills the model's first image field, whose step is skipped.
    ``quick`` goes straight to the first answer that has no default (usually the prompt).
    """
    params: dict[str, Any] = dict(registry.default_params(model.id))
    params.update(_fitting(model, remembered or {}))
    locked: tuple[str, ...] = ()
    target = next((f for f in model.fields if f.kind is FieldKind.IMAGE), None)
    if carried_url is not None and target is not None:
        params[target.name] = [carried_url] if target.multiple else carried_url
        locked = (target.name,)
    state = WizardState(sid=sid, model_id=model.id, step=0, params=params, locked=locked, quick=quick)
    if quick:
        return state.at(next_needed(model, state))
    return state.at(_next_open(state, plan(model), -1))


def _fitting(model: Model, remembered: Mapping[str, Any]) -> dict[str, Any]:
    """The remembered choices that still fit the model's fields (a catalogue change drops the rest)."""
    kept: dict[str, Any] = {}
    for field in model.fields:
        value = remembered.get(field.name)
        if value is None or field.kind not in _REMEMBERED:
            continue
        if field.kind is FieldKind.ENUM and value not in field.values:
            continue
        if field.kind is FieldKind.BOOL and not isinstance(value, bool):
            continue
        kept[field.name] = value
    return kept


_REMEMBERED = frozenset({FieldKind.ENUM, FieldKind.BOOL, FieldKind.INT, FieldKind.FLOAT})
"""Kinds of answer worth remembering per type: settings, never prompts or files."""


def remembered_settings(model: Model, params: Mapping[str, Any]) -> dict[str, Any]:
    """The settings of ``params`` to remember for the next run of this type."""
    return {f.name: params[f.name] for f in model.fields if f.kind in _REMEMBERED and f.name in params}


def _unanswered(model: Model, state: WizardState, step: Step) -> bool:
    if step.name in state.locked or not is_required(model, step.field, state.params):
        return False
    if step.kind is StepKind.MEDIA:
        return media_count(state, step) < max(step.field.min_items or 0, 1)
    return state.params.get(step.name) is None


def next_needed(model: Model, state: WizardState) -> int:
    """The first step a quick wizard must still ask (the number of steps: nothing, so confirm)."""
    steps = plan(model)
    return next((i for i, step in enumerate(steps) if _unanswered(model, state, step)), len(steps))


def _next_open(state: WizardState, steps: Sequence[Step], after: int) -> int:
    index = after + 1
    while index < len(steps) and steps[index].name in state.locked:
        index += 1
    return index


def _advance(state: WizardState, steps: Sequence[Step], model: Model) -> WizardState:
    if state.quick:
        return state.at(next_needed(model, state), editing=False)
    if state.editing:
        return state.at(len(steps), editing=False)
    return state.at(_next_open(state, steps, state.step))


def choice_values(step: Step) -> tuple[Any, ...]:
    """The values a choice step offers, in button order (No, Yes for a yes/no field)."""
    return (False, True) if step.field.kind is FieldKind.BOOL else step.field.values


def choose(model: Model, state: WizardState, index: int) -> WizardState:
    """Answer the current choice step with its ``index``-th value."""
    steps = plan(model)
    values = choice_values(steps[state.step])
    if not 0 <= index < len(values):
        raise AnswerRejected("stale_toast")
    return _advance(state.with_param(steps[state.step].name, values[index]), steps, model)


def skip(model: Model, state: WizardState) -> WizardState:
    """Leave the current optional step at its default (or unset when it has none)."""
    steps = plan(model)
    field = steps[state.step].field
    if is_required(model, field, state.params) and field.default is None:
        raise AnswerRejected("stale_toast")
    return _advance(state.with_param(field.name, field.default), steps, model)


def set_text(model: Model, state: WizardState, text: str) -> WizardState:
    """Answer a text or dialogue step."""
    steps = plan(model)
    step = steps[state.step]
    if step.kind is StepKind.DIALOGUE:
        return _advance(state.with_param(step.name, parse_dialogue(step, text)), steps, model)
    if step.kind is not StepKind.TEXT:
        raise AnswerRejected("err_expect_media" if step.kind is StepKind.MEDIA else "err_expect_text")
    if not text.strip():
        raise AnswerRejected("err_empty")
    limit = text_limit(model, step.field, state.params)
    if limit is not None and len(text) > limit:
        raise AnswerRejected("err_too_long", length=len(text), limit=limit)
    return _advance(state.with_param(step.name, text), steps, model)


def parse_dialogue(step: Step, text: str) -> list[dict[str, str]]:
    """Dialogue lines "N: phrase" (voice N, default 1) into KIE's [{text, voice}] form."""
    voices = step.field.voices
    lines: list[dict[str, str]] = []
    for raw in text.splitlines():
        if not raw.strip():
            continue
        match = _VOICE_PREFIX.match(raw)
        number = int(match.group(1)) if match else 1
        phrase = match.group(2) if match else raw
        if not 1 <= number <= len(voices) or not phrase.strip():
            raise AnswerRejected("err_empty")
        lines.append({"text": phrase.strip(), "voice": voices[number - 1]})
    if not lines:
        raise AnswerRejected("err_empty")
    total = sum(len(line["text"]) for line in lines)
    if step.field.max_length is not None and total > step.field.max_length:
        raise AnswerRejected("err_too_long", length=total, limit=step.field.max_length)
    return lines


def set_number(model: Model, state: WizardState, text: str) -> WizardState:
    """Answer a number step; the value must lie within the field's limits."""
    steps = plan(model)
    field = steps[state.step].field
    low, high = field.minimum, field.maximum
    try:
        number = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise AnswerRejected("err_number", minimum=_num(low), maximum=_num(high)) from None
    if not number.is_finite() or (low is not None and number < Decimal(str(low))):
        raise AnswerRejected("err_number", minimum=_num(low), maximum=_num(high))
    if high is not None and number > Decimal(str(high)):
        raise AnswerRejected("err_number", minimum=_num(low), maximum=_num(high))
    value: int | float = int(number) if field.kind is FieldKind.INT else float(number)
    if field.kind is FieldKind.INT and number != int(number):
        raise AnswerRejected("err_number", minimum=_num(low), maximum=_num(high))
    return _advance(state.with_param(field.name, value), steps, model)


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def media_count(state: WizardState, step: Step) -> int:
    """How many files the current media step holds so far."""
    value = state.params.get(step.name)
    if isinstance(value, list):
        return len(value)
    return 0 if value is None else 1


def add_media(model: Model, state: WizardState, url: str) -> tuple[WizardState, bool]:
    """Add an uploaded file's URL; returns the new state and whether the step is finished."""
    steps = plan(model)
    field = steps[state.step].field
    if not field.multiple:
        return _advance(state.with_param(field.name, url), steps, model), True
    current = list(state.params.get(field.name) or [])
    maximum = field.max_items or 1
    if len(current) >= maximum:
        raise AnswerRejected("err_too_many", maximum=maximum)
    current.append(url)
    updated = state.with_param(field.name, current)
    if len(current) >= maximum:
        return _advance(updated, steps, model), True
    return updated, False


def finish_media(model: Model, state: WizardState) -> WizardState:
    """Tap Done on a multi-file step; needs the field's minimum count."""
    steps = plan(model)
    step = steps[state.step]
    minimum = step.field.min_items or (1 if is_required(model, step.field, state.params) else 0)
    if media_count(state, step) < max(minimum, 1):
        raise AnswerRejected("stale_toast")
    return _advance(state, steps, model)
