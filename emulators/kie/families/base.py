"""What every API family shares: the plan of a task to create, and how a family renders its tasks.

A family (Market, Suno, Veo, 4o Image, Flux Kontext, Midjourney, Runway, Aleph) validates its create
bodies into a `TaskPlan`, and renders a `Task` as its record-info `data` and its callback bodies.
The task book, clock, credits, faults and callback delivery are the same for all of them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..model import OutputKind, Task, TaskState

__all__ = [
    "Family",
    "Lookup",
    "TaskPlan",
    "compact_json",
    "error_code",
    "error_message",
    "iso_time",
    "plain_time",
    "success_flag",
]

Lookup = Callable[[str], Task | None]
"""Finds a task of the calling key and the same family by id (or by a result id such as a Suno
track id), for follow-up calls."""


@dataclass(frozen=True)
class TaskPlan:
    """A validated create call: what task to start and what it costs."""

    model: str
    gen_type: str
    kind: OutputKind
    request: dict[str, Any]
    price: float
    operation: str = "generate"
    parent_id: str | None = None
    result_count: int = 1
    covers: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class Family:
    """How one API family shows its tasks. Subclasses override `record` and `final_callback`."""

    name = "family"
    missing_msg = "recordInfo is null"

    def record(self, task: Task, now: float) -> dict[str, Any]:
        """The record-info `data` of a task."""
        raise NotImplementedError

    def final_callback(self, task: Task, now: float) -> dict[str, Any]:
        """The callback body sent when the task reaches success or fail."""
        raise NotImplementedError

    def stage_callbacks(self, task: Task, now: float) -> list[tuple[str, dict[str, Any]]]:
        """Callbacks due for the task's current running state, as (stage, body); none by default."""
        return []


def success_flag(task: Task, fail: int) -> int:
    """The dedicated APIs' `successFlag`: 0 while running, 1 on success, `fail` on failure."""
    if task.state is TaskState.SUCCESS:
        return 1
    if task.state is TaskState.FAIL:
        return fail
    return 0


def compact_json(value: object) -> str:
    """JSON as KIE's `paramJson` strings show it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def iso_time(seconds: float | None) -> str | None:
    """Emulator seconds as an ISO-8601 UTC string (Midjourney's record times)."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def plain_time(seconds: float | None) -> str | None:
    """Emulator seconds as "YYYY-MM-DD HH:MM:SS" UTC (Veo's record times in the doc example)."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def error_message(task: Task) -> str:
    """`errorMessage`: the failure message, "" otherwise (as the doc examples show)."""
    return task.fail_msg or "" if task.state is TaskState.FAIL else ""


def error_code(task: Task) -> int | None:
    """The failure code as an integer (the dedicated APIs' `errorCode`), None unless failed."""
    if task.state is not TaskState.FAIL or task.fail_code is None:
        return None
    try:
        return int(task.fail_code)
    except ValueError:
        return 500
