"""Midjourney (kie-api.md §4.6; docs.kie.ai/mj-api/generate-mj-image, /get-mj-task-details,
/upscale, /vary, /generate-mj-image-callbacks).

POST /api/v1/mj/generate         {taskType, prompt, speed?, fileUrls?, aspectRatio?, version?, variety?,
                                 stylization?, weirdness?, waterMark?, callBackUrl?, videoBatchSize?, motion?}
POST /api/v1/mj/generateUpscale  {taskId, imageIndex 0-3 (docs.kie.ai/mj-api/upscale), callBackUrl?}
POST /api/v1/mj/generateVary     {taskId, imageIndex 0-3 (docs.kie.ai/mj-api/vary), waterMark?, callBackUrl?}
GET  /api/v1/mj/record-info      ?taskId=  resultInfoJson {resultUrls: [{resultUrl}]}, successFlag
                                 0/1/2/3, ISO-8601 times as in the doc example

An image task makes the four-picture grid; an upscale makes one picture, a vary four; a video task
makes `videoBatchSize` clips. Callbacks: `data` {taskId, resultUrls} (an export of the docs' vary
page), codes 200 and 500; `promptJson` beside them as a third-party SDK reports (kie-api.md §4.6).
The vary page's schema says imageIndex 0-3 where third-party code says 1-4: the docs win.
"""

from __future__ import annotations

from typing import Any

from ..model import OutputKind, Task, TaskState
from ..validation import check_enum, check_number, check_text, invalid, is_url, require_object
from .base import Family, Lookup, TaskPlan, compact_json, error_code, iso_time, success_flag

__all__ = ["MidjourneyFamily", "parse_generate", "parse_upscale", "parse_vary"]

_IMAGE_TYPES = ("mj_txt2img", "mj_img2img", "mj_style_reference", "mj_omni_reference")
_VIDEO_TYPES = ("mj_video", "mj_video_hd")
_NEEDS_FILES = ("mj_img2img", "mj_style_reference", "mj_omni_reference", *_VIDEO_TYPES)
_SPEEDS = ("relaxed", "fast", "turbo")
# Not captured KIE prices: what the emulator charges per grid / upscale / video.
PRICES = {"relaxed": 3.0, "fast": 8.0, "turbo": 16.0}
UPSCALE_PRICE = 2.0
VIDEO_PRICE = 60.0
_RANGES = (("stylization", 0, 1000), ("weirdness", 0, 3000), ("variety", 0, 100))


def parse_generate(body: object, lookup: Lookup) -> TaskPlan:
    """Validate a generate body."""
    body = require_object(body)
    task_type = body.get("taskType")
    check_enum("taskType", task_type, (*_IMAGE_TYPES, *_VIDEO_TYPES))
    check_text("prompt", body.get("prompt"), 2000, required=task_type == "mj_txt2img")
    files = body.get("fileUrls")
    if task_type in _NEEDS_FILES and not files:
        raise invalid(f"fileUrls: required for {task_type}")
    if files is not None and (not isinstance(files, list) or not all(map(is_url, files))):
        raise invalid("fileUrls: must be a list of http(s) URLs")
    speed = str(body.get("speed") or "fast")
    check_enum("speed", speed, _SPEEDS)
    for name, low, high in _RANGES:
        if body.get(name) is not None:
            check_number(name, body[name], low, high)
    if body.get("callBackUrl") is not None and not is_url(body["callBackUrl"]):
        raise invalid("callBackUrl must be an http(s) URL")
    if task_type in _VIDEO_TYPES:
        batch = body.get("videoBatchSize", 1)
        check_enum("videoBatchSize", batch, ("1", "2", "4"))
        return TaskPlan(
            "midjourney",
            "image-to-video",
            OutputKind.VIDEO,
            body,
            VIDEO_PRICE * int(batch),
            str(task_type),
            result_count=int(batch),
        )
    return TaskPlan(
        "midjourney", "text-to-image", OutputKind.IMAGE, body, PRICES[speed], str(task_type), result_count=4
    )


def _grid_parent(body: dict[str, Any], lookup: Lookup, low: int, high: int) -> Task:
    parent = lookup(body["taskId"]) if isinstance(body.get("taskId"), str) else None
    if parent is None or parent.state is not TaskState.SUCCESS or parent.kind is not OutputKind.IMAGE:
        raise invalid("taskId: not a finished Midjourney image task")
    index = body.get("imageIndex")
    if isinstance(index, bool) or not isinstance(index, int) or not low <= index <= high:
        raise invalid(f"imageIndex: must be an integer from {low} to {high}")
    return parent


def parse_upscale(body: object, lookup: Lookup) -> TaskPlan:
    """Validate an upscale body: one picture of a finished grid."""
    body = require_object(body)
    parent = _grid_parent(body, lookup, 0, 3)
    return TaskPlan("midjourney", "upscale", OutputKind.IMAGE, body, UPSCALE_PRICE, "mj_upscale", parent.id)


def parse_vary(body: object, lookup: Lookup) -> TaskPlan:
    """Validate a vary body: a new grid from one picture of a finished grid."""
    body = require_object(body)
    parent = _grid_parent(body, lookup, 0, 3)
    speed = str(parent.request.get("speed") or "fast")
    return TaskPlan(
        "midjourney", "image-edit", OutputKind.IMAGE, body, PRICES.get(speed, 8.0), "mj_vary", parent.id, 4
    )


class MidjourneyFamily(Family):
    """Records and callbacks of Midjourney tasks."""

    name = "mj"

    def record(self, task: Task, now: float) -> dict[str, Any]:
        """record-info `data`."""
        done = task.state is TaskState.SUCCESS
        return {
            "taskId": task.id,
            "taskType": task.operation,
            "paramJson": compact_json(task.request),
            "completeTime": iso_time(task.completed),
            "resultInfoJson": {"resultUrls": [{"resultUrl": url} for url in task.result_urls]}
            if done
            else None,
            "successFlag": success_flag(task, 3),
            "createTime": iso_time(task.created),
            "errorCode": error_code(task),
            "errorMessage": task.fail_msg if task.state is TaskState.FAIL else None,
        }

    def final_callback(self, task: Task, now: float) -> dict[str, Any]:
        """`data` {taskId, promptJson, resultUrls}."""
        done = task.state is TaskState.SUCCESS
        data = {
            "taskId": task.id,
            "promptJson": compact_json(task.request),
            "resultUrls": list(task.result_urls) if done else [],
        }
        if done:
            return {"code": 200, "msg": "success", "data": data}
        return {"code": error_code(task) or 500, "msg": task.fail_msg or "", "data": data}
