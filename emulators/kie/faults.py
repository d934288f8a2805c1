"""Fault injection: error answers on API endpoints, and task outcomes (fail, lost or duplicate callback).

API rules fire for the next `count` matching calls and/or a `fraction` of them. Task faults are drawn
once per task at creation. Every draw comes from a random stream seeded from the emulator's seed and
the stream's name, so a run with the same seed and the same calls injects the same faults.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import Any

from .errors import EmulatorError, KieFailure
from .families import FAMILY_ENDPOINTS

__all__ = ["ENDPOINTS", "ApiFault", "FaultKind", "FaultPlan", "TaskFaults"]

ENDPOINTS = ("createTask", "recordInfo", "credit", "downloadUrl", "upload", *FAMILY_ENDPOINTS)

_MESSAGES = {
    429: "Rate limit exceeded",
    455: "Service Unavailable - system under maintenance",
    500: "Server Error - an unexpected error occurred",
}


class FaultKind(StrEnum):
    """What an API fault answers: a KIE error code, or a slow answer."""

    RATE_LIMITED = "429"
    MAINTENANCE = "455"
    SERVER_ERROR = "500"
    ERROR = "error"
    SLOW = "slow"


@dataclass
class ApiFault:
    """One API fault rule.

    `endpoint` is one of ENDPOINTS or "*". ERROR answers `code` (default 501) inside HTTP 200;
    `http_status` overrides the HTTP status of any error kind. `after_create` (createTask only) stores
    and charges the task before answering the error, as an ambiguous real failure would. `count`
    None means unlimited; `fraction` None means every matching call.
    """

    endpoint: str
    kind: FaultKind
    count: int | None = 1
    fraction: float | None = None
    code: int = 501
    msg: str | None = None
    http_status: int | None = None
    after_create: bool = False
    delay: float = 0.0
    fired: int = 0

    def __post_init__(self) -> None:
        if self.endpoint != "*" and self.endpoint not in ENDPOINTS:
            raise EmulatorError(f"unknown endpoint {self.endpoint!r}; use one of {[*ENDPOINTS, '*']}")
        if self.fraction is not None and not 0.0 <= self.fraction <= 1.0:
            raise EmulatorError("fraction must be between 0 and 1")

    def failure(self) -> KieFailure:
        """The error this rule answers with."""
        code = self.code if self.kind is FaultKind.ERROR else int(self.kind.value)
        return KieFailure(code, self.msg or _MESSAGES.get(code, "Injected error"))

    def to_api(self) -> dict[str, Any]:
        """Render for the control API."""
        return {**asdict(self), "kind": self.kind.value}

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> ApiFault:
        """Build a rule from a control API body."""
        try:
            fraction = data.get("fraction")
            count = data.get("count", None if fraction is not None else 1)
            return cls(
                endpoint=str(data.get("endpoint", "*")),
                kind=FaultKind(str(data["kind"])),
                count=None if count is None else int(count),
                fraction=None if fraction is None else float(fraction),
                code=int(data.get("code", 501)),
                msg=data.get("msg"),
                http_status=None if data.get("http_status") is None else int(data["http_status"]),
                after_create=bool(data.get("after_create", False)),
                delay=float(data.get("delay", 0.0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise EmulatorError(f"invalid fault rule: {exc!r}") from exc


@dataclass
class TaskFaults:
    """Task outcome faults: fractions drawn per task, plus next-N counters that fire first."""

    fail_fraction: float = 0.0
    lose_callback_fraction: float = 0.0
    duplicate_callback_fraction: float = 0.0
    fail_next: int = 0
    lose_callback_next: int = 0
    duplicate_callback_next: int = 0

    def update(self, data: dict[str, Any]) -> None:
        """Merge a control API body into the settings."""
        names = {f.name for f in fields(self)}
        unknown = set(data) - names
        if unknown:
            raise EmulatorError(f"unknown task fault settings {sorted(unknown)}; use {sorted(names)}")
        for name, value in data.items():
            number = float(value) if name.endswith("fraction") else int(value)
            if number < 0 or (name.endswith("fraction") and number > 1):
                raise EmulatorError(f"{name} is out of range")
            setattr(self, name, number)


class FaultPlan:
    """The active API rules and task faults, with seeded random streams."""

    def __init__(self, seed: int = 0) -> None:
        self.rules: list[ApiFault] = []
        self.tasks = TaskFaults()
        self.reseed(seed)

    def reseed(self, seed: int) -> None:
        """Restart every random stream from `seed`."""
        self._streams = {name: random.Random(f"{seed}:{name}") for name in ("api", "fail", "lose", "dup")}

    def clear(self) -> None:
        """Remove every rule and task fault."""
        self.rules.clear()
        self.tasks = TaskFaults()

    def add(self, rule: ApiFault) -> ApiFault:
        """Activate an API rule."""
        self.rules.append(rule)
        return rule

    def draw(self, endpoint: str) -> tuple[float, ApiFault | None]:
        """For one call: the total delay to add, and the error rule that fires (if any)."""
        delay, failing = 0.0, None
        for rule in self.rules:
            if rule.endpoint not in ("*", endpoint):
                continue
            if (rule.kind is not FaultKind.SLOW and failing is not None) or not self._fires(rule):
                continue
            rule.fired += 1
            if rule.kind is FaultKind.SLOW:
                delay += rule.delay
            else:
                failing = rule
        self.rules = [r for r in self.rules if r.count is None or r.fired < r.count]
        return delay, failing

    def _fires(self, rule: ApiFault) -> bool:
        if rule.count is not None and rule.fired >= rule.count:
            return False
        return rule.fraction is None or self._streams["api"].random() < rule.fraction

    def plan_task(self) -> tuple[bool, bool, bool]:
        """Draw (fail, lose callback, duplicate callback) for a new task."""
        faults = self.tasks
        fail = self._pick("fail", "fail_next", faults.fail_fraction)
        lose = self._pick("lose", "lose_callback_next", faults.lose_callback_fraction)
        duplicate = self._pick("dup", "duplicate_callback_next", faults.duplicate_callback_fraction)
        return fail, lose, duplicate

    def _pick(self, stream: str, counter: str, fraction: float) -> bool:
        # The draw happens even when a counter fires, so counters never shift later draws.
        drawn = self._streams[stream].random() < fraction
        remaining = getattr(self.tasks, counter)
        if remaining > 0:
            setattr(self.tasks, counter, remaining - 1)
            return True
        return drawn

    def to_api(self) -> dict[str, Any]:
        """Render for the control API."""
        return {"rules": [rule.to_api() for rule in self.rules], "tasks": asdict(self.tasks)}
