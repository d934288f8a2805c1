"""Typed views of what KIE returns: a task record (recordInfo and callbacks) and an uploaded file.

KIE's field shapes are awkward (kie-api.md §2.2, §6, §10): `param` and `resultJson` are JSON *strings*
(and `input` inside `param` may be one more nested JSON string), timestamps are Unix milliseconds,
`failCode`/`failMsg` are `""` in docs and `null` live, and `costTime` is documented in ms but is seconds
in practice. Parsing happens once, here, so nothing downstream touches raw KIE dictionaries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import structlog

from shared.kie.errors import KieProtocolError
from shared.kie.fields import as_datetime, as_int, as_number, as_text, json_object

__all__ = [
    "ResultItem",
    "TaskRecord",
    "TaskState",
    "UploadedFile",
    "parse_task_record",
    "parse_uploaded_file",
]

_log = structlog.get_logger(__name__)


class TaskState(StrEnum):
    """The Market task state machine: waiting → queuing → generating → success | fail."""

    WAITING = "waiting"
    QUEUING = "queuing"
    GENERATING = "generating"
    SUCCESS = "success"
    FAIL = "fail"

    @property
    def is_terminal(self) -> bool:
        """True for success and fail; every other state means the task is still running."""
        return self in (TaskState.SUCCESS, TaskState.FAIL)


@dataclass(frozen=True, slots=True)
class ResultItem:
    """One result file with what a family says about it (Suno: id, title, cover and length of a track;
    the id is what a follow-up such as Suno's extend names as `audioId`)."""

    url: str
    title: str | None = None
    cover_url: str | None = None
    duration: float | None = None
    id: str | None = None


@dataclass(frozen=True, slots=True)
class TaskRecord:
    """One task as its family's record call (or a Market callback's `data`) describes it.

    Every family's record is mapped onto this one shape (`shared.kie.families`); `items` carries
    per-file details where a family gives them, in the order of `result_urls`.

    `state_raw` keeps KIE's own word: an unknown state is reported as GENERATING (still running, per
    the checklist in §9). `cost_time` is KIE's raw `costTime` number, seconds in practice (§10.2).
    """

    task_id: str
    model: str
    state: TaskState
    state_raw: str
    param: Mapping[str, Any] = field(default_factory=dict)
    result_urls: tuple[str, ...] = ()
    result_object: Any = None
    fail_code: str | None = None
    fail_msg: str | None = None
    cost_time: float | None = None
    credits_consumed: float | None = None
    progress: int | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None
    complete_time: datetime | None = None
    items: tuple[ResultItem, ...] = ()

    @property
    def input(self) -> Mapping[str, Any]:
        """The model input of the original createTask request, from `param`."""
        value = self.param.get("input")
        return value if isinstance(value, Mapping) else {}

    @property
    def callback_url(self) -> str | None:
        """The `callBackUrl` the task was created with, if any (it carries our job id)."""
        value = self.param.get("callBackUrl")
        return value if isinstance(value, str) and value else None


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file stored on KIE's upload host; `download_url` is what model inputs take."""

    download_url: str
    file_name: str | None = None
    file_path: str | None = None
    file_size: int | None = None
    mime_type: str | None = None
    uploaded_at: datetime | None = None


def parse_task_record(data: object) -> TaskRecord:
    """Parse a recordInfo / callback `data` object; raise KieProtocolError on a malformed shape."""
    if not isinstance(data, Mapping):
        raise KieProtocolError(f"task record is {type(data).__name__}, not an object")
    task_id = as_text(data.get("taskId")) or as_text(data.get("task_id"))
    if not task_id:
        raise KieProtocolError("task record has no taskId")
    state_raw = as_text(data.get("state")) or ""
    result_urls, result_object = _parse_result(data, task_id)
    return TaskRecord(
        task_id=task_id,
        model=as_text(data.get("model")) or "",
        state=_parse_state(state_raw, task_id),
        state_raw=state_raw,
        param=_parse_param(data.get("param"), task_id),
        result_urls=result_urls,
        result_object=result_object,
        fail_code=as_text(data.get("failCode")) or None,
        fail_msg=as_text(data.get("failMsg")) or None,
        cost_time=as_number(data.get("costTime")),
        credits_consumed=as_number(data.get("creditsConsumed")),
        progress=as_int(data.get("progress")),
        create_time=as_datetime(data.get("createTime")),
        update_time=as_datetime(data.get("updateTime")),
        complete_time=as_datetime(data.get("completeTime")),
    )


def parse_uploaded_file(data: object) -> UploadedFile:
    """Parse the upload host's `data`, accepting both documented shapes (§6)."""
    if not isinstance(data, Mapping):
        raise KieProtocolError(f"upload answer data is {type(data).__name__}, not an object")
    url = as_text(data.get("downloadUrl")) or as_text(data.get("fileUrl"))
    if not url:
        raise KieProtocolError("upload answer has neither downloadUrl nor fileUrl")
    uploaded = as_text(data.get("uploadedAt")) or as_text(data.get("uploadTime"))
    return UploadedFile(
        download_url=url,
        file_name=as_text(data.get("fileName")),
        file_path=as_text(data.get("filePath")) or as_text(data.get("uploadPath")),
        file_size=as_int(data.get("fileSize")),
        mime_type=as_text(data.get("mimeType")),
        uploaded_at=_iso_to_datetime(uploaded),
    )


def _parse_state(raw: str, task_id: str) -> TaskState:
    try:
        return TaskState(raw)
    except ValueError:
        _log.warning("kie_unknown_task_state", task_id=task_id, state=raw)
        return TaskState.GENERATING


def _parse_param(raw: object, task_id: str) -> Mapping[str, Any]:
    param = json_object(raw, "param", task_id)
    nested = param.get("input")
    if isinstance(nested, str) and nested.strip():
        # Third parties report `input` inside `param` as one more JSON string (§2.2).
        return {**param, "input": json_object(nested, "param.input", task_id)}
    return param


def _parse_result(data: Mapping[str, Any], task_id: str) -> tuple[tuple[str, ...], Any]:
    result = json_object(data.get("resultJson"), "resultJson", task_id)
    urls = result.get("resultUrls")
    if isinstance(urls, list):
        return tuple(u for u in urls if isinstance(u, str) and u), result.get("resultObject")
    return _suno_urls(data.get("response")), result.get("resultObject")


def _suno_urls(response: object) -> tuple[str, ...]:
    """Suno tasks routed through Market put tracks at `response.data[].audio_url` (§2.2)."""
    if not isinstance(response, Mapping) or not isinstance(response.get("data"), list):
        return ()
    items = response["data"]
    return tuple(
        i["audio_url"] for i in items if isinstance(i, Mapping) and isinstance(i.get("audio_url"), str)
    )


def _iso_to_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
