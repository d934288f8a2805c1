"""Veo 3.1 video (kie-api.md §4.1; docs.kie.ai/veo3-api/generate-veo-3-video, /get-veo-3-video-details,
/get-veo-3-1080-p-video, /get-veo-3-4k-video, /extend-veo-3-video, /generate-veo-3-video-callbacks).

POST /api/v1/veo/generate        {prompt, imageUrls?, model?, generationType?, aspectRatio?, resolution?,
                                 duration?, watermark?, callBackUrl?, enableFallback?, enableTranslation?}
POST /api/v1/veo/extend          {taskId, prompt, seeds?, model?, watermark?, callBackUrl?}
GET  /api/v1/veo/get-1080p-video ?taskId=&index=  → data.resultUrl once the upgrade is ready
POST /api/v1/veo/get-4k-video    {taskId, index?, callBackUrl?} → data {taskId, resultUrls: null, imageUrls:
                                 null}: a new task (record-info covers it) with the 4K callback shape
GET  /api/v1/veo/record-info     ?taskId=  successFlag 0 generating, 1 success, 2 failed, 3 generation failed;
                                 times "YYYY-MM-DD HH:MM:SS" and errorMessage "" as the doc example shows

The 1080p upgrade is a hidden task started by the first get-1080p-video call; until it ends the
endpoint answers a non-200 code, as the docs warn ("retry every 20-30 s").
"""

from __future__ import annotations

from typing import Any

from ..model import OutputKind, Task, TaskState
from ..validation import check_enum, check_number, check_text, invalid, is_url, require_object
from .base import Family, Lookup, TaskPlan, compact_json, error_code, error_message, plain_time, success_flag

__all__ = ["VeoFamily", "parse_4k", "parse_extend", "parse_generate", "upgrade_plan"]

MODELS = ("veo3", "veo3_fast", "veo3_lite")
_TYPES = ("TEXT_2_VIDEO", "FIRST_AND_LAST_FRAMES_2_VIDEO", "REFERENCE_2_VIDEO")
_EXTEND_MODELS = ("fast", "quality", "lite")
# KIE's pricing table as recorded on 2025-12-21 (kie.ai/pricing, "Google Veo 3.1": text-to-video Fast 60,
# Quality 250, Get 1080P Video 5, Get 4K Video 120 credits); Lite is not in it (what the emulator charges).
PRICES = {"veo3": 250.0, "veo3_fast": 60.0, "veo3_lite": 30.0}
PRICE_4K = 120.0
PRICE_1080P = 5.0
NOT_READY = "The 1080P video is still being generated; please retry in 20-30 seconds"


def _check_images(body: dict[str, Any], model: str) -> None:
    images = body.get("imageUrls")
    if images is None:
        return
    if not isinstance(images, list) or not all(is_url(u) for u in images):
        raise invalid("imageUrls: must be a list of http(s) URLs")
    kind = body.get("generationType")
    if kind == "REFERENCE_2_VIDEO" and not 1 <= len(images) <= 3:
        raise invalid("imageUrls: REFERENCE_2_VIDEO takes 1 to 3 images")
    if kind != "REFERENCE_2_VIDEO" and len(images) > 2:
        raise invalid("imageUrls: at most 2 images (first and last frame)")
    if kind == "REFERENCE_2_VIDEO" and model == "veo3":
        raise invalid("generationType: REFERENCE_2_VIDEO needs model veo3_fast or veo3_lite")


def parse_generate(body: object, lookup: Lookup) -> TaskPlan:
    """Validate a generate body."""
    body = require_object(body)
    check_text("prompt", body.get("prompt"), None, required=True)
    model = str(body.get("model") or "veo3_fast")
    check_enum("model", model, MODELS)
    if body.get("generationType") is not None:
        check_enum("generationType", body["generationType"], _TYPES)
    _check_optional(body)
    _check_images(body, model)
    return TaskPlan(model, "text-to-video", OutputKind.VIDEO, body, PRICES[model])


def _check_optional(body: dict[str, Any]) -> None:
    for name, allowed in (("aspectRatio", ("16:9", "9:16", "Auto")), ("resolution", ("720p", "1080p", "4k"))):
        if body.get(name) is not None:
            check_enum(name, body[name], allowed)
    if body.get("duration") is not None:
        check_enum("duration", body["duration"], ("4", "6", "8"))
    if body.get("callBackUrl") is not None and not is_url(body["callBackUrl"]):
        raise invalid("callBackUrl must be an http(s) URL")


def _parent(body: dict[str, Any], lookup: Lookup) -> Task:
    parent = lookup(body["taskId"]) if isinstance(body.get("taskId"), str) else None
    if parent is None:
        raise invalid("taskId: no such Veo task")
    if parent.state is not TaskState.SUCCESS:
        raise invalid("taskId: the video task has not succeeded")
    return parent


def parse_extend(body: object, lookup: Lookup) -> TaskPlan:
    """Validate an extend body; the parent must be a finished Veo video of the key."""
    body = require_object(body)
    parent = _parent(body, lookup)
    check_text("prompt", body.get("prompt"), None, required=True)
    model = str(body.get("model") or "fast")
    check_enum("model", model, _EXTEND_MODELS)
    if body.get("seeds") is not None:
        check_number("seeds", body["seeds"], 10000, 99999)
    price = {"quality": PRICES["veo3"], "lite": PRICES["veo3_lite"]}.get(model, PRICES["veo3_fast"])
    return TaskPlan(parent.model, "video-to-video", OutputKind.VIDEO, body, price, "extend", parent.id)


def parse_4k(body: object, lookup: Lookup) -> TaskPlan:
    """Validate a get-4k-video body."""
    body = require_object(body)
    parent = _parent(body, lookup)
    _check_index(body.get("index", 0))
    return TaskPlan(parent.model, "upscale", OutputKind.VIDEO, body, PRICE_4K, "4k", parent.id, covers=True)


def upgrade_plan(parent: Task, index: object) -> TaskPlan:
    """The hidden 1080p task of a finished video (charged when started, no callback)."""
    if parent.state is not TaskState.SUCCESS:
        raise invalid("taskId: the video task has not succeeded")
    _check_index(index)
    return TaskPlan(
        parent.model,
        "upscale",
        OutputKind.VIDEO,
        {"taskId": parent.id, "index": index},
        PRICE_1080P,
        "1080p",
        parent.id,
    )


def _check_index(index: object) -> None:
    if str(index) != "0":
        raise invalid("index: must be 0 (a Veo task makes one video)")


def _resolution(task: Task) -> str:
    if task.operation in ("1080p", "4k"):
        return task.operation
    return str(task.request.get("resolution") or "720p")


class VeoFamily(Family):
    """Records and callbacks of Veo tasks."""

    name = "veo"

    def record(self, task: Task, now: float) -> dict[str, Any]:
        """record-info `data`."""
        done = task.state is TaskState.SUCCESS
        return {
            "taskId": task.id,
            "paramJson": compact_json(task.request),
            "completeTime": plain_time(task.completed),
            "response": self._info(task, full=True) if done else None,
            "successFlag": success_flag(task, 3),
            "errorCode": error_code(task),
            "errorMessage": error_message(task),
            "createTime": plain_time(task.created),
            "fallbackFlag": False,
        }

    def final_callback(self, task: Task, now: float) -> dict[str, Any]:
        """Success with `info` (resultUrls, originUrls, resolution), or the failure code; a 4K
        upgrade has its own shape (docs.kie.ai/veo3-api/get-veo-3-4k-video-callbacks)."""
        if task.operation == "4k":
            return _callback_4k(task)
        if task.state is TaskState.SUCCESS:
            data = {
                "taskId": task.id,
                "promptJson": compact_json(task.request),
                "info": self._info(task, full=False),
                "fallbackFlag": False,
            }
            return {"code": 200, "msg": "Veo3.1 video generated successfully.", "data": data}
        return {
            "code": error_code(task) or 501,
            "msg": task.fail_msg or "",
            "data": {"taskId": task.id, "fallbackFlag": False},
        }

    @staticmethod
    def _info(task: Task, *, full: bool) -> dict[str, Any]:
        info: dict[str, Any] = {"resultUrls": list(task.result_urls), "originUrls": list(task.result_urls)}
        if full:
            info = {"taskId": task.id, **info}
            if task.operation == "extend":
                info["fullResultUrls"] = list(task.result_urls)
        return {**info, "resolution": _resolution(task)}


def _callback_4k(task: Task) -> dict[str, Any]:
    if task.state is TaskState.SUCCESS:
        info = {"resultUrls": list(task.result_urls), "imageUrls": list(task.cover_urls)}
        data = {"taskId": task.id, "info": info, "creditsConsumed": task.credits_consumed}
        return {"code": 200, "msg": "4K Video generated successfully.", "data": data}
    msg = task.fail_msg or "The 4K version of this video is unavailable. Please try a different video."
    return {"code": error_code(task) or 500, "msg": msg, "data": {"taskId": task.id}}
