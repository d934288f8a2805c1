"""Runway and Runway Aleph (kie-api.md §4.5; docs.kie.ai/runway-api/generate-ai-video,
/get-ai-video-details, /extend-ai-video, /generate-ai-video-callbacks, /generate-aleph-video,
/get-aleph-video-details, /generate-aleph-video-callbacks).

POST /api/v1/runway/generate       {prompt, duration 5|10, quality 720p|1080p (not 1080p with 10 s),
                                   imageUrl?, aspectRatio?, waterMark?, callBackUrl?}
POST /api/v1/runway/extend         {taskId, prompt, quality, waterMark?, callBackUrl?}
GET  /api/v1/runway/record-detail  ?taskId=  state wait|queueing|generating|success|fail, videoInfo
POST /api/v1/aleph/generate        {prompt, videoUrl, callBackUrl?, waterMark?, aspectRatio?, seed?,
                                   referenceImage?}
GET  /api/v1/aleph/record-info     ?taskId=  successFlag 1 success, 0 running or failed; ISO times

Each task makes a video and its cover picture (Runway's `image_url`, Aleph's `result_image_url`).
"""

from __future__ import annotations

import uuid
from typing import Any

from ..model import OutputKind, Task, TaskState
from ..validation import check_enum, check_text, invalid, is_url, require_object
from .base import Family, Lookup, TaskPlan, compact_json, error_code, iso_time, plain_time

__all__ = ["AlephFamily", "RunwayFamily", "parse_aleph", "parse_extend", "parse_generate"]

# Not captured KIE prices: what the emulator charges.
PRICES = {("720p", "5"): 12.0, ("720p", "10"): 30.0, ("1080p", "5"): 30.0}
ALEPH_PRICE = 110.0
_STATE = {
    TaskState.WAITING: "wait",
    TaskState.QUEUING: "queueing",
    TaskState.GENERATING: "generating",
    TaskState.SUCCESS: "success",
    TaskState.FAIL: "fail",
}
_ASPECTS = ("16:9", "4:3", "1:1", "3:4", "9:16")


def _check_optional(body: dict[str, Any]) -> None:
    if body.get("aspectRatio") is not None:
        check_enum("aspectRatio", body["aspectRatio"], _ASPECTS)
    for name in ("imageUrl", "callBackUrl", "referenceImage"):
        if body.get(name) is not None and not is_url(body[name]):
            raise invalid(f"{name} must be an http(s) URL")


def parse_generate(body: object, lookup: Lookup) -> TaskPlan:
    """Validate a Runway generate body."""
    body = require_object(body)
    check_text("prompt", body.get("prompt"), 1800, required=True)
    for name in ("duration", "quality"):
        if body.get(name) is None:
            raise invalid(f"{name} is required")
    check_enum("duration", body["duration"], ("5", "10"))
    check_enum("quality", body["quality"], ("720p", "1080p"))
    if str(body["quality"]) == "1080p" and str(body["duration"]) == "10":
        raise invalid("quality: 1080p is not available for 10-second videos")
    _check_optional(body)
    gen_type = "image-to-video" if body.get("imageUrl") else "text-to-video"
    price = PRICES[(str(body["quality"]), str(body["duration"]))]
    return TaskPlan("runway", gen_type, OutputKind.VIDEO, body, price, covers=True)


def parse_extend(body: object, lookup: Lookup) -> TaskPlan:
    """Validate a Runway extend body; the parent must be a finished Runway video of the key."""
    body = require_object(body)
    parent = lookup(body["taskId"]) if isinstance(body.get("taskId"), str) else None
    if parent is None or parent.state is not TaskState.SUCCESS:
        raise invalid("taskId: not a finished Runway video task")
    check_text("prompt", body.get("prompt"), 1800, required=True)
    check_enum("quality", body.get("quality"), ("720p", "1080p"))
    _check_optional(body)
    price = PRICES[(str(body["quality"]), "5")]
    return TaskPlan(
        "runway", "video-to-video", OutputKind.VIDEO, body, price, "extend", parent.id, covers=True
    )


def parse_aleph(body: object, lookup: Lookup) -> TaskPlan:
    """Validate an Aleph generate body."""
    body = require_object(body)
    check_text("prompt", body.get("prompt"), None, required=True)
    if not is_url(body.get("videoUrl")):
        raise invalid("videoUrl is required and must be an http(s) URL")
    _check_optional(body)
    return TaskPlan("runway-aleph", "video-to-video", OutputKind.VIDEO, body, ALEPH_PRICE, covers=True)


def _first(urls: list[str]) -> str:
    return urls[0] if urls else ""


class RunwayFamily(Family):
    """Records and callbacks of Runway tasks (snake_case callback fields; failCode is an integer
    in the record schema, 0 unless failed)."""

    name = "runway"

    def record(self, task: Task, now: float) -> dict[str, Any]:
        """record-detail `data`."""
        done = task.state is TaskState.SUCCESS
        video = {
            "videoId": _video_id(task),
            "taskId": task.id,
            "videoUrl": _first(task.result_urls),
            "imageUrl": _first(task.cover_urls),
        }
        return {
            "taskId": task.id,
            "parentTaskId": task.parent_id or "",
            "generateParam": {
                "prompt": task.request.get("prompt", ""),
                "imageUrl": task.request.get("imageUrl", ""),
                "expandPrompt": False,
            },
            "state": _STATE[task.state],
            "generateTime": plain_time(task.completed) or "",
            "videoInfo": video if done else None,
            "failCode": error_code(task) or 0,
            "failMsg": task.fail_msg or "" if task.state is TaskState.FAIL else "",
            "expireFlag": 0,
        }

    def final_callback(self, task: Task, now: float) -> dict[str, Any]:
        """`data` {task_id, video_id, video_url, image_url}; empty strings on failure."""
        done = task.state is TaskState.SUCCESS
        data = {
            "task_id": task.id,
            "video_id": _video_id(task) if done else "",
            "video_url": _first(task.result_urls) if done else "",
            "image_url": _first(task.cover_urls) if done else "",
        }
        if done:
            return {"code": 200, "msg": "All generated successfully.", "data": data}
        return {"code": error_code(task) or 500, "msg": task.fail_msg or "", "data": data}


def _video_id(task: Task) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{task.id}/video"))


class AlephFamily(Family):
    """Records and callbacks of Aleph tasks (`taskId` beside `data` in the callback)."""

    name = "aleph"

    def record(self, task: Task, now: float) -> dict[str, Any]:
        """record-info `data` (ISO times; successFlag 1 only on success, errorCode 0 unless failed)."""
        done = task.state is TaskState.SUCCESS
        response = {
            "taskId": task.id,
            "resultVideoUrl": _first(task.result_urls),
            "resultImageUrl": _first(task.cover_urls),
        }
        return {
            "taskId": task.id,
            "paramJson": compact_json(task.request),
            "response": response if done else None,
            "completeTime": iso_time(task.completed),
            "createTime": iso_time(task.created),
            "successFlag": 1 if done else 0,
            "errorCode": error_code(task) or 0,
            "errorMessage": task.fail_msg or "",
        }

    def final_callback(self, task: Task, now: float) -> dict[str, Any]:
        """`data` {result_video_url, result_image_url} and a top-level `taskId`; `data: null` on failure."""
        if task.state is TaskState.SUCCESS:
            data = {"result_video_url": _first(task.result_urls), "result_image_url": _first(task.cover_urls)}
            return {"code": 200, "msg": "success", "data": data, "taskId": task.id}
        return {"code": error_code(task) or 400, "msg": task.fail_msg or "", "data": None, "taskId": task.id}
