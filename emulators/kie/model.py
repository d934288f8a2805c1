"""What the emulator remembers: tasks (with KIE's recordInfo shape), API calls and callback attempts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["CallRecord", "CallbackAttempt", "OutputKind", "Task", "TaskState", "as_credits", "ms"]

_SUCCESS_MSG = "Playground task completed successfully."
_FAIL_MSG = "Playground task failed."
# recordInfo `progress` is populated only for Sora 2 models (kie-api.md §2.2).
_PROGRESS_PREFIX = "sora-2"


class TaskState(StrEnum):
    """The Market task states, in order."""

    WAITING = "waiting"
    QUEUING = "queuing"
    GENERATING = "generating"
    SUCCESS = "success"
    FAIL = "fail"

    @property
    def is_terminal(self) -> bool:
        """True for success and fail."""
        return self in (TaskState.SUCCESS, TaskState.FAIL)


RUNNING_STATES = (TaskState.WAITING, TaskState.QUEUING, TaskState.GENERATING)


class OutputKind(StrEnum):
    """What a task produces."""

    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"


@dataclass
class Task:
    """One task of any family. Times are emulator seconds; `phase_ends` are the ends of the running states.

    `family` names the API family ("market", "suno", "veo", ...) whose shapes render the task;
    `operation` what the create call asked (generate, extend, upscale, 1080p, ...); `result_count`
    how many result files it makes and `covers` whether each gets a cover picture (Suno, Runway).
    """

    id: str
    api_key: str
    model: str
    gen_type: str
    kind: OutputKind
    request: dict[str, Any]
    price: float
    created: float
    phase_ends: list[float]
    family: str = "market"
    operation: str = "generate"
    parent_id: str | None = None
    result_count: int = 1
    covers: bool = False
    planned_fail: tuple[str, str] | None = None
    lose_callback: bool = False
    duplicate_callback: bool = False
    state: TaskState = TaskState.WAITING
    updated: float = 0.0
    completed: float | None = None
    result_urls: list[str] = field(default_factory=list)
    cover_urls: list[str] = field(default_factory=list)
    fail_code: str | None = None
    fail_msg: str | None = None
    credits_consumed: float = 0
    polls: int = 0
    stages_sent: list[str] = field(default_factory=list)

    @property
    def param(self) -> str:
        """The original create request as a JSON string (KIE's `param`)."""
        return json.dumps(self.request, ensure_ascii=False, separators=(",", ":"))

    @property
    def input(self) -> dict[str, Any]:
        """The model input: Market's `input` object, or the whole body of the other families."""
        if self.family != "market":
            return {k: v for k, v in self.request.items() if k != "callBackUrl"}
        value = self.request.get("input")
        return value if isinstance(value, dict) else {}

    @property
    def callback_url(self) -> str | None:
        """Where the final state is POSTed, if anywhere."""
        value = self.request.get("callBackUrl")
        return value if isinstance(value, str) and value else None

    def progress(self, now: float) -> int | None:
        """0-100 for Sora 2 models, None for the others."""
        if not self.model.startswith(_PROGRESS_PREFIX):
            return None
        if self.state.is_terminal:
            return 100
        start, end = self.phase_ends[1], self.phase_ends[2]
        if self.state is not TaskState.GENERATING or end <= start:
            return 0
        return max(0, min(99, int(100 * (now - start) / (end - start))))

    def record(self, now: float, *, for_callback: bool = False) -> dict[str, Any]:
        """The task as recordInfo's `data` (or a callback's, which uses null where recordInfo has "")."""
        empty: str | None = None if for_callback else ""
        success = self.state is TaskState.SUCCESS
        data: dict[str, Any] = {
            "taskId": self.id,
            "model": self.model,
            "state": self.state.value,
            "param": self.param,
            "resultJson": json.dumps({"resultUrls": self.result_urls}) if success else empty,
            "failCode": self.fail_code if self.fail_code is not None else empty,
            "failMsg": self.fail_msg if self.fail_msg is not None else empty,
            "costTime": self.cost_time(),
            "completeTime": ms(self.completed),
            "createTime": ms(self.created),
            "updateTime": ms(self.updated),
            "creditsConsumed": as_credits(self.credits_consumed),
        }
        progress = self.progress(now)
        if progress is not None:
            data["progress"] = progress
        return data

    def cost_time(self) -> int:
        """Seconds spent generating (KIE documents ms but reports seconds in practice, §10.2)."""
        if self.completed is None:
            return 0
        return max(0, round(self.completed - self.phase_ends[1]))

    def callback_body(self, now: float) -> dict[str, Any]:
        """The Market callback envelope (§2.4)."""
        success = self.state is TaskState.SUCCESS
        return {
            "code": 200 if success else 501,
            "msg": _SUCCESS_MSG if success else _FAIL_MSG,
            "data": self.record(now, for_callback=True),
        }

    def summary(self, now: float) -> dict[str, Any]:
        """The task for the control API: its record plus what the emulator planned for it."""
        return {
            **self.record(now),
            "apiKey": _hint(self.api_key),
            "price": as_credits(self.price),
            "genType": self.gen_type,
            "family": self.family,
            "operation": self.operation,
            "parentId": self.parent_id,
            "kind": self.kind.value,
            "callBackUrl": self.callback_url,
            "plannedFail": list(self.planned_fail) if self.planned_fail else None,
            "loseCallback": self.lose_callback,
            "duplicateCallback": self.duplicate_callback,
        }


@dataclass(frozen=True)
class CallRecord:
    """One API call as the emulator answered it."""

    seq: int
    at: float
    endpoint: str
    method: str
    path: str
    api_key: str | None
    model: str | None
    task_id: str | None
    code: int
    http_status: int
    msg: str

    def to_api(self) -> dict[str, Any]:
        """Render for the control API (the key shortened to a hint)."""
        return {
            "seq": self.seq,
            "at": self.at,
            "endpoint": self.endpoint,
            "method": self.method,
            "path": self.path,
            "apiKey": _hint(self.api_key) if self.api_key else None,
            "model": self.model,
            "taskId": self.task_id,
            "code": self.code,
            "httpStatus": self.http_status,
            "msg": self.msg,
        }


@dataclass(frozen=True)
class CallbackAttempt:
    """One POST (or a deliberate loss) of a task's callback."""

    task_id: str
    url: str
    at: float
    attempt: int
    duplicate: bool
    status: int | None
    error: str | None = None
    lost: bool = False
    signed: bool = False
    stage: str = "final"

    @property
    def delivered(self) -> bool:
        """True when the receiver answered 2xx."""
        return self.status is not None and 200 <= self.status < 300

    def to_api(self) -> dict[str, Any]:
        """Render for the control API."""
        return {
            "taskId": self.task_id,
            "url": self.url,
            "at": self.at,
            "attempt": self.attempt,
            "duplicate": self.duplicate,
            "status": self.status,
            "error": self.error,
            "lost": self.lost,
            "signed": self.signed,
            "stage": self.stage,
            "delivered": self.delivered,
        }


def as_credits(value: float) -> int | float:
    """Credits as KIE shows them: an integer when whole."""
    return int(value) if float(value).is_integer() else value


def ms(seconds: float | None) -> int | None:
    """Emulator seconds as Unix milliseconds (None stays None)."""
    return None if seconds is None else int(seconds * 1000)


def _hint(key: str) -> str:
    """A key shortened so records never carry a whole secret."""
    return f"…{key[-4:]}" if len(key) > 4 else "…"
