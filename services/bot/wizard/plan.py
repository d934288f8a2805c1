"""Which questions the wizard asks for a model, in what order, derived from the registry schema.

Choices (enums and yes/no) come first, then numbers, then the media the model takes, then texts
(the prompt among them). A field a conditional rule makes required is asked as required.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from shared.catalog import Field, FieldKind, Model

__all__ = ["Step", "StepKind", "is_required", "plan", "text_limit"]


class StepKind(StrEnum):
    """How a step takes its answer."""

    CHOICE = "choice"
    NUMBER = "number"
    MEDIA = "media"
    TEXT = "text"
    DIALOGUE = "dialogue"


_KIND_OF: Mapping[FieldKind, StepKind] = {
    FieldKind.ENUM: StepKind.CHOICE,
    FieldKind.BOOL: StepKind.CHOICE,
    FieldKind.INT: StepKind.NUMBER,
    FieldKind.FLOAT: StepKind.NUMBER,
    FieldKind.IMAGE: StepKind.MEDIA,
    FieldKind.VIDEO: StepKind.MEDIA,
    FieldKind.AUDIO: StepKind.MEDIA,
    FieldKind.TEXT: StepKind.TEXT,
    FieldKind.DIALOGUE: StepKind.DIALOGUE,
}
_ORDER = (StepKind.CHOICE, StepKind.NUMBER, StepKind.MEDIA, StepKind.TEXT, StepKind.DIALOGUE)


@dataclass(frozen=True, slots=True)
class Step:
    """One question of the wizard: the field it fills and how it is answered."""

    field: Field
    kind: StepKind

    @property
    def name(self) -> str:
        """The input field name this step fills."""
        return self.field.name


def plan(model: Model) -> tuple[Step, ...]:
    """Every step of ``model``'s wizard, in the order they are asked."""
    steps = [Step(field, _KIND_OF[field.kind]) for field in model.fields]
    return tuple(sorted(steps, key=lambda step: _ORDER.index(step.kind)))


def is_required(model: Model, field: Field, params: Mapping[str, object]) -> bool:
    """Whether ``field`` must be given, counting rules that the current parameters switch on."""
    if field.required:
        return True
    return any(rule.when.matches(params) and field.name in rule.require for rule in model.rules)


def text_limit(model: Model, field: Field, params: Mapping[str, object]) -> int | None:
    """The maximum length of a text field, tightened by any rule that applies."""
    limits = [field.max_length] if field.max_length is not None else []
    for rule in model.rules:
        if rule.when.matches(params):
            limits.extend(limit for name, limit in rule.max_length if name == field.name)
    return min(limits) if limits else None
