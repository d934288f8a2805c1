"""The Suno family: music from `/api/v1/generate` (kie-api.md §4.2).

    POST /api/v1/generate               {"model": V4…V5_5, "customMode", "instrumental", "prompt",
                                         "style", "title", "callBackUrl" (required), ...} → data.taskId
    GET  /api/v1/generate/record-info   ?taskId=  → status PENDING | TEXT_SUCCESS | FIRST_SUCCESS |
                                         SUCCESS | CREATE_TASK_FAILED | GENERATE_AUDIO_FAILED |
                                         CALLBACK_EXCEPTION | SENSITIVE_WORD_ERROR;
                                         response.sunoData[] {audioUrl, imageUrl, title, duration}

Callback: sent up to three times per task, `data.callbackType` text → first → complete (or error),
with snake_case fields: `data.task_id`, `data.data[] {audio_url, image_url, title, duration}`.
Only `complete` (or a failure) is final; a job waits for SUCCESS in the record, i.e. every track.
Docs: https://docs.kie.ai/suno-api/generate-music, …/get-music-details, …/generate-music-callbacks
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.kie.families.base import Family, plain_body, require_task_id, sub
from shared.kie.fields import as_datetime, as_number, as_text, json_object
from shared.kie.records import ResultItem, TaskRecord, TaskState

__all__ = ["SUNO"]

_STATES = {
    "PENDING": TaskState.WAITING,
    "TEXT_SUCCESS": TaskState.GENERATING,
    "FIRST_SUCCESS": TaskState.GENERATING,
    "SUCCESS": TaskState.SUCCESS,
    "CREATE_TASK_FAILED": TaskState.FAIL,
    "GENERATE_AUDIO_FAILED": TaskState.FAIL,
    "SENSITIVE_WORD_ERROR": TaskState.FAIL,
}
# A refused prompt is the user's to fix, like a 400 content-policy rejection elsewhere.
_FAIL_CODES = {"SENSITIVE_WORD_ERROR": "400"}


def parse_suno_record(data: object) -> TaskRecord:
    """Map a Suno record-info `data` onto a `TaskRecord`; tracks become items with title and cover."""
    record, task_id = require_task_id(data)
    status = as_text(record.get("status")) or ""
    tracks = _tracks(sub(record, "response", task_id).get("sunoData"))
    state = _state(status, tracks)
    items = tracks if state is TaskState.SUCCESS else ()
    param = json_object(record.get("param"), "param", task_id)
    return TaskRecord(
        task_id=task_id,
        model=as_text(param.get("model")) or "",
        state=state,
        state_raw=status,
        param=param,
        result_urls=tuple(item.url for item in items),
        fail_code=_fail_code(record, status) if state is TaskState.FAIL else None,
        fail_msg=_fail_msg(record, status) if state is TaskState.FAIL else None,
        create_time=as_datetime(record.get("createTime")),
        items=items,
    )


def _state(status: str, tracks: tuple[ResultItem, ...]) -> TaskState:
    if status == "CALLBACK_EXCEPTION":
        # Only our callback endpoint failed: the tracks are made if the record carries them.
        return TaskState.SUCCESS if tracks else TaskState.FAIL
    return _STATES.get(status, TaskState.GENERATING)


def _fail_msg(record: Mapping[str, Any], status: str) -> str:
    """KIE's message behind the status that says what happened (SENSITIVE_WORD_ERROR is a refusal)."""
    message = as_text(record.get("errorMessage"))
    return f"{status}: {message}" if message else status


def _fail_code(record: Mapping[str, Any], status: str) -> str | None:
    code = as_text(record.get("errorCode"))
    return code if code not in (None, "", "0") else _FAIL_CODES.get(status)


def _tracks(raw: object) -> tuple[ResultItem, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(
        ResultItem(
            url=str(track["audioUrl"]),
            title=as_text(track.get("title")) or None,
            cover_url=as_text(track.get("imageUrl")) or None,
            duration=as_number(track.get("duration")),
            id=as_text(track.get("id")) or None,
        )
        for track in raw
        if isinstance(track, Mapping) and isinstance(track.get("audioUrl"), str) and track["audioUrl"]
    )


SUNO = Family(
    route="suno",
    create_path="/api/v1/generate",
    record_path="/api/v1/generate/record-info",
    build=plain_body("model"),
    parse=parse_suno_record,
    callback='{"code", "msg", "data": {"callbackType": "text|first|complete|error", "task_id", "data"}}',
    doc="https://docs.kie.ai/suno-api/generate-music",
    follow_ups={"extend": "/api/v1/generate/extend"},
)
