"""Fault injection for Bot API calls: flood control (429), server errors (500), slow answers, dropped
connections (``reset``: the connection is closed with no answer and the method is not run), and the
refusals a send can meet: 400 (e.g. ``Bad Request: IMAGE_PROCESS_FAILED`` for a file Telegram cannot
take as that media type), 403 (``Forbidden: bot was blocked by the user``) and 413 (``Request Entity
Too Large``). ``detail`` replaces the default description after the prefix.

A rule matches one method (case-insensitive) or every method (`"*"`), and fires for the next `count`
matching calls, or for a `fraction` of them (drawn from an injected random generator), or both.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .errors import EmulatorError

__all__ = ["FaultInjector", "FaultKind", "FaultRule"]


class FaultKind(StrEnum):
    """What a fault does to the call."""

    FLOOD = "429"
    SERVER_ERROR = "500"
    SLOW = "slow"
    BAD_REQUEST = "400"
    FORBIDDEN = "403"
    TOO_LARGE = "413"
    RESET = "reset"


@dataclass
class FaultRule:
    """One injected fault.

    `count` None means unlimited; `fraction` None means every matching call.
    `delay` (seconds) applies to SLOW; `retry_after` (seconds) to FLOOD.
    """

    method: str
    kind: FaultKind
    count: int | None = 1
    fraction: float | None = None
    retry_after: int = 1
    delay: float = 0.0
    detail: str = ""
    fired: int = 0

    def matches(self, method: str) -> bool:
        """Whether the rule applies to this method and still has shots left."""
        if self.count is not None and self.fired >= self.count:
            return False
        return self.method == "*" or self.method.lower() == method.lower()

    def to_api(self) -> dict[str, Any]:
        """Render for the control API."""
        return {
            "method": self.method,
            "kind": self.kind.value,
            "count": self.count,
            "fraction": self.fraction,
            "retry_after": self.retry_after,
            "delay": self.delay,
            "detail": self.detail,
            "fired": self.fired,
        }

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> FaultRule:
        """Build a rule from a control API body."""
        try:
            kind = FaultKind(str(data.get("kind", "429")))
            count = data.get("count", 1)
            fraction = data.get("fraction")
            return cls(
                method=str(data["method"]),
                kind=kind,
                count=None if count is None else int(count),
                fraction=None if fraction is None else float(fraction),
                retry_after=int(data.get("retry_after", 1)),
                delay=float(data.get("delay", 0.0)),
                detail=str(data.get("detail", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise EmulatorError(f"invalid fault rule: {exc}") from exc


class FaultInjector:
    """The active fault rules; `draw` picks the fault (if any) for one call."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rules: list[FaultRule] = []
        self._rng = rng or random.Random(0)

    def add(self, rule: FaultRule) -> FaultRule:
        """Activate a rule."""
        if rule.fraction is not None and not 0.0 <= rule.fraction <= 1.0:
            raise EmulatorError("fraction must be between 0 and 1")
        self._rules.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every rule."""
        self._rules.clear()

    @property
    def rules(self) -> list[FaultRule]:
        """The active rules, oldest first."""
        return list(self._rules)

    def draw(self, method: str) -> list[FaultRule]:
        """The rules firing for this call: at most one SLOW plus at most one failing rule."""
        fired: list[FaultRule] = []
        kinds: set[bool] = set()
        for rule in self._rules:
            is_slow = rule.kind is FaultKind.SLOW
            if is_slow in kinds or not rule.matches(method):
                continue
            if rule.fraction is not None and self._rng.random() >= rule.fraction:
                continue
            rule.fired += 1
            kinds.add(is_slow)
            fired.append(rule)
        self._rules = [r for r in self._rules if r.count is None or r.fired < r.count]
        return fired
