"""A user's place in the wizard: model, step and the answers so far, as plain JSON."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["WizardState"]


@dataclass(frozen=True, slots=True)
class WizardState:
    """Where one user is in the wizard.

    ``sid`` names this wizard session (derived from the update that began it, so re-handling that
    update yields the same id); buttons carry it and ``step``. ``step`` equal to the number of steps
    means the confirm screen. ``editing`` sends the user back to confirm after the step they chose.
    ``locked`` names fields filled from an earlier result (chaining); their steps are passed over.
    ``quick`` asks only what has no default (the prompt, required files); the rest is changed from
    the confirm screen.
    """

    sid: str
    model_id: str
    step: int
    params: dict[str, Any] = field(default_factory=dict)
    editing: bool = False
    locked: tuple[str, ...] = ()
    quick: bool = False

    def with_param(self, name: str, value: Any) -> WizardState:
        """A copy with ``name`` set to ``value`` (None removes it)."""
        params = {key: val for key, val in self.params.items() if key != name}
        if value is not None:
            params[name] = value
        return replace(self, params=params)

    def at(self, step: int, *, editing: bool | None = None) -> WizardState:
        """A copy at ``step`` (and with ``editing`` when given)."""
        return replace(self, step=step, editing=self.editing if editing is None else editing)

    def to_json(self) -> dict[str, Any]:
        """The JSON form stored in Redis."""
        return {
            "sid": self.sid,
            "model": self.model_id,
            "step": self.step,
            "params": self.params,
            "editing": self.editing,
            "locked": list(self.locked),
            "quick": self.quick,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WizardState:
        """Rebuild a state from `to_json` output."""
        return cls(
            sid=str(data["sid"]),
            model_id=str(data["model"]),
            step=int(data["step"]),
            params=dict(data.get("params") or {}),
            editing=bool(data.get("editing", False)),
            locked=tuple(str(name) for name in data.get("locked") or ()),
            quick=bool(data.get("quick", False)),
        )
