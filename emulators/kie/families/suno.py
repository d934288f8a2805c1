"""Suno music (kie-api.md §4.2; docs.kie.ai/suno-api/generate-music, /get-music-details,
/generate-music-callbacks, /extend-music).

POST /api/v1/generate          {prompt, style, title, customMode, instrumental, model, callBackUrl, ...}
POST /api/v1/generate/extend   {defaultParamFlag, audioId, model, callBackUrl, prompt?, style?, title?,
                               continueAt?}
GET  /api/v1/generate/record-info?taskId=   camelCase `sunoData`, `status` PENDING → TEXT_SUCCESS →
                               FIRST_SUCCESS → SUCCESS (or GENERATE_AUDIO_FAILED)

Each task makes two tracks, each with a cover. Callbacks come in stages with snake_case fields:
`text` when the task leaves waiting, `first` when it starts generating (first track ready),
`complete` at success; a failure sends one `error` callback with `data: null`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from ..config import EmulatorConfig
from ..model import OutputKind, Task, TaskState
from ..validation import check_enum, check_number, check_text, invalid, is_url, require_object
from .base import Family, Lookup, TaskPlan, compact_json, error_code

__all__ = ["SunoFamily", "parse_extend", "parse_generate", "result_ids"]

MODELS = ("V4", "V4_5", "V4_5PLUS", "V4_5ALL", "V5", "V5_5")
# The docs' per-model limits (generate-music): V4 prompt 3000 / style 200, later models 5000 / 1000.
_LIMITS = {"V4": (3000, 200)}
_LATER_LIMITS = (5000, 1000)
_SIMPLE_PROMPT = 500
_TITLE = 80
# Not a captured KIE price: what the emulator charges per generation.
PRICE = 12.0
_STATUS = {
    TaskState.WAITING: "PENDING",
    TaskState.QUEUING: "TEXT_SUCCESS",
    TaskState.GENERATING: "FIRST_SUCCESS",
    TaskState.SUCCESS: "SUCCESS",
    TaskState.FAIL: "GENERATE_AUDIO_FAILED",
}
_STAGE_MSG = {
    "text": "Text generated successfully.",
    "first": "First track generated successfully.",
    "complete": "All generated successfully.",
}


def _check_common(body: dict[str, Any]) -> str:
    model = body.get("model")
    if model is None:
        raise invalid("model is required")
    check_enum("model", model, MODELS)
    if not is_url(body.get("callBackUrl")):
        raise invalid("callBackUrl is required and must be an http(s) URL")
    if body.get("vocalGender") is not None:
        check_enum("vocalGender", body["vocalGender"], ("m", "f"))
    for name in ("styleWeight", "weirdnessConstraint", "audioWeight"):
        if body.get(name) is not None:
            check_number(name, body[name], 0, 1)
    if body.get("personaModel") is not None:
        check_enum("personaModel", body["personaModel"], ("style_persona", "voice_persona"))
    return str(model)


def _check_custom(
    body: dict[str, Any], model: str, *, lyrics_required: bool, title_max: int = _TITLE
) -> None:
    prompt_max, style_max = _LIMITS.get(model, _LATER_LIMITS)
    check_text("style", body.get("style"), style_max, required=True)
    check_text("title", body.get("title"), title_max, required=True)
    if lyrics_required or body.get("prompt") is not None:
        check_text("prompt", body.get("prompt"), prompt_max, required=lyrics_required)


def parse_generate(body: object, lookup: Lookup) -> TaskPlan:
    """Validate a generate body."""
    body = require_object(body)
    model = _check_common(body)
    for name in ("customMode", "instrumental"):
        if not isinstance(body.get(name), bool):
            raise invalid(f"{name}: is required and must be true or false")
    if body["customMode"]:
        _check_custom(body, model, lyrics_required=not body["instrumental"])
    else:
        check_text("prompt", body.get("prompt"), _SIMPLE_PROMPT, required=True)
    return TaskPlan(model, "music", OutputKind.AUDIO, body, PRICE, result_count=2, covers=True)


def parse_extend(body: object, lookup: Lookup) -> TaskPlan:
    """Validate an extend body: `audioId` must be a track of one of the key's finished tasks."""
    body = require_object(body)
    model = _check_common(body)
    if not isinstance(body.get("defaultParamFlag"), bool):
        raise invalid("defaultParamFlag: is required and must be true or false")
    audio_id = body.get("audioId")
    parent = lookup(audio_id) if isinstance(audio_id, str) else None
    if parent is None or parent.state is not TaskState.SUCCESS or audio_id not in result_ids(parent):
        raise invalid("audioId: not a track of a finished music task")
    if body["defaultParamFlag"]:
        # extend-music: titles may be 100 characters except on V4 and V4_5ALL (80).
        title_max = _TITLE if model in ("V4", "V4_5ALL") else 100
        _check_custom(body, model, lyrics_required=True, title_max=title_max)
        check_number("continueAt", body.get("continueAt"), 0, None)
    return TaskPlan(model, "music", OutputKind.AUDIO, body, PRICE, "extend", parent.id, 2, True)


def result_ids(task: Task) -> list[str]:
    """The ids of a task's tracks: UUIDs derived from the task id."""
    return [str(uuid.uuid5(uuid.NAMESPACE_URL, f"{task.id}/{n}")) for n in range(task.result_count)]


class SunoFamily(Family):
    """Records and staged callbacks of Suno tasks."""

    name = "suno"

    def __init__(self, config: EmulatorConfig) -> None:
        self._seconds = config.audio_seconds

    def record(self, task: Task, now: float) -> dict[str, Any]:
        """record-info `data` (camelCase)."""
        return {
            "taskId": task.id,
            "parentMusicId": task.request.get("audioId", "") if task.operation == "extend" else "",
            "param": compact_json(task.request),
            "response": {"taskId": task.id, "sunoData": self._tracks(task, camel=True)},
            "status": _STATUS[task.state],
            "type": task.operation.upper(),
            "operationType": task.operation,
            "errorCode": error_code(task),
            "errorMessage": task.fail_msg if task.state is TaskState.FAIL else None,
        }

    def stage_callbacks(self, task: Task, now: float) -> list[tuple[str, dict[str, Any]]]:
        """`text` once the task left waiting, `first` once it is generating (each sent once)."""
        due = {TaskState.QUEUING: ["text"], TaskState.GENERATING: ["text", "first"]}.get(task.state, [])
        return [(stage, self._stage_body(task, stage)) for stage in due if stage not in task.stages_sent]

    def final_callback(self, task: Task, now: float) -> dict[str, Any]:
        """`complete`, or `error` with `data: null`."""
        if task.state is TaskState.SUCCESS:
            return self._stage_body(task, "complete")
        return {
            "code": error_code(task) or 501,
            "msg": task.fail_msg or "Audio generation failed.",
            "data": {"callbackType": "error", "task_id": task.id, "data": None},
        }

    def _stage_body(self, task: Task, stage: str) -> dict[str, Any]:
        return {
            "code": 200,
            "msg": _STAGE_MSG[stage],
            "data": {"callbackType": stage, "task_id": task.id, "data": self._tracks(task, camel=False)},
        }

    def _tracks(self, task: Task, *, camel: bool) -> list[dict[str, Any]]:
        if task.state is TaskState.WAITING or task.state is TaskState.FAIL:
            return []
        ready = {TaskState.QUEUING: 0, TaskState.GENERATING: 1}.get(task.state, task.result_count)
        return [self._track(task, n, camel, n < ready) for n in range(task.result_count)]

    def _track(self, task: Task, n: int, camel: bool, ready: bool) -> dict[str, Any]:
        audio = task.result_urls[n] if ready and n < len(task.result_urls) else ""
        cover = task.cover_urls[n] if ready and n < len(task.cover_urls) else ""
        values = {
            "id": result_ids(task)[n],
            "audio_url": audio,
            "stream_audio_url": audio,
            "image_url": cover,
            "prompt": str(task.request.get("prompt") or ""),
            "model_name": f"chirp-{task.model.lower().replace('_', '-')}",
            "title": str(task.request.get("title") or "Untitled"),
            "tags": str(task.request.get("style") or ""),
            "createTime": _stamp(task.created),
            "duration": self._seconds if ready else 0,
        }
        return {_camel(k) if camel else k: v for k, v in values.items()}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
