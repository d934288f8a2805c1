"""The confirm screen (choices, price, balance; Generate, each setting, Model, Cancel) and the edit picker."""

from __future__ import annotations

from services.bot.views.quick import CONFIRM_BACK, CONFIRM_MODEL, CONFIRM_SETTINGS
from services.bot.views.screen import Button, Screen, grid
from services.bot.wizard.plan import Step, StepKind, plan
from services.bot.wizard.state import WizardState
from shared.catalog import GenType, Model, Registry
from shared.chat.callbacks import Op, buy_data, encode
from shared.chat.labels import field_label, value_label
from shared.chat.texts import Language, Texts

__all__ = [
    "BATCHES",
    "BATCH_TYPES",
    "CONFIRM_CANCEL",
    "CONFIRM_EDIT",
    "CONFIRM_FIELD",
    "CONFIRM_GENERATE",
    "confirm_screen",
    "edit_screen",
]

CONFIRM_GENERATE = "g"
CONFIRM_EDIT = CONFIRM_SETTINGS
CONFIRM_CANCEL = "x"
CONFIRM_FIELD = "f"
_PREVIEW_CHARS = 120
_BUTTON_VALUE_CHARS = 24
BATCHES = (2, 4)
"""Batch sizes offered for picture types: that many runs of the same settings, each paid."""
BATCH_TYPES = frozenset({GenType.TEXT_TO_IMAGE, GenType.IMAGE_EDIT})


def _value_text(texts: Texts, step: Step, value: object, language: Language) -> str:
    if step.kind is StepKind.MEDIA:
        count = len(value) if isinstance(value, list) else 1
        return texts.get("confirm_files", language, count=count)
    if step.kind is StepKind.DIALOGUE and isinstance(value, list):
        value = " / ".join(str(line.get("text", "")) for line in value if isinstance(line, dict))
    shown = value_label(texts, step.field, value, language)
    if len(shown) <= _PREVIEW_CHARS:
        return shown
    return shown[: _PREVIEW_CHARS - 1] + texts.get("ellipsis", language)


def _lines(texts: Texts, model: Model, state: WizardState, language: Language) -> str:
    lines = []
    for step in plan(model):
        value = state.params.get(step.name)
        if value is None:
            continue
        lines.append(
            texts.get(
                "confirm_line",
                language,
                label=field_label(texts, step.field, language),
                value=_value_text(texts, step, value, language),
            )
        )
    return "\n".join(lines)


def _setting_buttons(texts: Texts, model: Model, state: WizardState, language: Language) -> list[Button]:
    """One button per answer the user may change, reading "Label: value"."""
    buttons = []
    for index, step in enumerate(plan(model)):
        if step.name in state.locked:
            continue
        value = state.params.get(step.name)
        shown = (
            texts.get("value_unset", language) if value is None else _value_text(texts, step, value, language)
        )
        if len(shown) > _BUTTON_VALUE_CHARS:
            shown = shown[: _BUTTON_VALUE_CHARS - 1] + texts.get("ellipsis", language)
        label = texts.get(
            "btn_setting", language, label=field_label(texts, step.field, language), value=shown
        )
        buttons.append(Button(label, encode(Op.CONFIRM, state.sid, f"{CONFIRM_FIELD}{index}")))
    return buttons


def confirm_screen(
    texts: Texts,
    registry: Registry,
    model: Model,
    state: WizardState,
    language: Language,
    balance: int | None,
) -> Screen:
    """Everything the user chose, the price those choices cost and the balance it comes from.

    Each answer is a button that changes it in place; typed text replaces the description.
    """
    price = registry.price(model.id, state.params)
    text = texts.get(
        "confirm",
        language,
        model=model.name.get(language.value),
        lines=_lines(texts, model, state, language),
        price=texts.credits(price, language),
        balance=texts.credits(balance, language) if balance is not None else texts.get("no_value", language),
    )
    short = balance is not None and balance < price
    if balance is not None and short:
        text += "\n\n" + texts.get(
            "confirm_short", language, missing=texts.credits(price - balance, language)
        )
    text += "\n\n" + texts.get("confirm_hint", language)
    generate = texts.get("btn_generate_priced", language, price=texts.credits(price, language))
    buy = ((Button(texts.get("btn_buy", language), buy_data(price - (balance or 0))),),) if short else ()
    batch = tuple(
        Button(
            texts.get("btn_batch", language, n=n, price=texts.credits(price * n, language)),
            encode(Op.CONFIRM, state.sid, f"{CONFIRM_GENERATE}{n}"),
        )
        for n in BATCHES
        if model.type in BATCH_TYPES
    )
    rows = (
        *buy,
        (Button(generate, encode(Op.CONFIRM, state.sid, CONFIRM_GENERATE)),),
        *((batch,) if batch else ()),
        *grid(_setting_buttons(texts, model, state, language), 2),
        (
            Button(
                texts.get("btn_model", language, name=model.name.get(language.value)),
                encode(Op.CONFIRM, state.sid, CONFIRM_MODEL),
            ),
        ),
        (Button(texts.get("btn_cancel", language), encode(Op.CONFIRM, state.sid, CONFIRM_CANCEL)),),
    )
    return Screen(text, rows)


def edit_screen(texts: Texts, model: Model, state: WizardState, language: Language) -> Screen:
    """One button per step; picking one asks that step again, then returns to confirm."""
    buttons = [
        Button(
            field_label(texts, step.field, language)[:1].upper()
            + field_label(texts, step.field, language)[1:],
            encode(Op.CONFIRM, state.sid, f"{CONFIRM_FIELD}{index}"),
        )
        for index, step in enumerate(plan(model))
        if step.name not in state.locked
    ]
    back = (Button(texts.get("btn_back", language), encode(Op.CONFIRM, state.sid, CONFIRM_BACK)),)
    return Screen(texts.get("edit_title", language), (*grid(buttons, 2), back))
