"""4o Image and Flux Kontext (kie-api.md §4.3, §4.4; docs.kie.ai/4o-image-api/generate-4-o-image,
/get-4-o-image-details, /get-4-o-image-download-url, /generate-4-o-image-callbacks;
docs.kie.ai/flux-kontext-api/generate-or-edit-image, /get-image-details, /generate-or-edit-image-callbacks).

POST /api/v1/gpt4o-image/generate       {size, prompt and/or filesUrl, maskUrl?, nVariants?, callBackUrl?}
GET  /api/v1/gpt4o-image/record-info    successFlag 0/1/2, status GENERATING|SUCCESS|GENERATE_FAILED,
                                        progress "0.00".."1.00", response.resultUrls
POST /api/v1/gpt4o-image/download-url   {taskId, url} → data: a 20-minute link (string)
POST /api/v1/flux/kontext/generate      {prompt, inputImage?, aspectRatio?, outputFormat?, model?, ...}
GET  /api/v1/flux/kontext/record-info   successFlag 0/1/2/3, response {originImageUrl, resultImageUrl},
                                        ISO-8601 times (doc example); 4o's record times are Unix ms
"""

from __future__ import annotations

from typing import Any

from ..model import OutputKind, Task, TaskState, ms
from ..validation import check_enum, check_number, check_text, invalid, is_url, require_object
from .base import Family, Lookup, TaskPlan, compact_json, error_code, error_message, iso_time, success_flag

__all__ = ["FluxFamily", "Gpt4oFamily", "parse_flux", "parse_gpt4o"]

# Not captured KIE prices: what the emulator charges per image (Flux: the seed system's table,
# ferixdi-png/TRT models_pricing.yaml 2025-12-21, says 5 for pro and 10 for max).
GPT4O_PRICE = 6.0
FLUX_PRICES = {"flux-kontext-pro": 5.0, "flux-kontext-max": 10.0}
_GPT4O_STATUS = {TaskState.SUCCESS: "SUCCESS", TaskState.FAIL: "GENERATE_FAILED"}


def _check_callback(body: dict[str, Any]) -> None:
    if body.get("callBackUrl") is not None and not is_url(body["callBackUrl"]):
        raise invalid("callBackUrl must be an http(s) URL")


def parse_gpt4o(body: object, lookup: Lookup) -> TaskPlan:
    """Validate a 4o Image generate body."""
    body = require_object(body)
    if body.get("size") is None:
        raise invalid("size is required")
    check_enum("size", body["size"], ("1:1", "3:2", "2:3"))
    files = body.get("filesUrl")
    if files is not None and (not isinstance(files, list) or len(files) > 5 or not all(map(is_url, files))):
        raise invalid("filesUrl: at most 5 http(s) image URLs")
    if body.get("prompt") is not None:
        check_text("prompt", body["prompt"], None)
    if not (body.get("prompt") or files or body.get("fileUrl")):
        raise invalid("prompt or filesUrl is required")
    variants = body.get("nVariants", 1)
    check_enum("nVariants", variants, ("1", "2", "4"))
    _check_callback(body)
    count = int(variants)
    return TaskPlan(
        "gpt-4o-image", "text-to-image", OutputKind.IMAGE, body, GPT4O_PRICE * count, result_count=count
    )


def parse_flux(body: object, lookup: Lookup) -> TaskPlan:
    """Validate a Flux Kontext generate (or edit, with inputImage) body."""
    body = require_object(body)
    check_text("prompt", body.get("prompt"), None, required=True)
    model = str(body.get("model") or "flux-kontext-pro")
    check_enum("model", model, tuple(FLUX_PRICES))
    for name, allowed in (
        ("aspectRatio", ("21:9", "16:9", "4:3", "1:1", "3:4", "9:16")),
        ("outputFormat", ("jpeg", "png")),
    ):
        if body.get(name) is not None:
            check_enum(name, body[name], allowed)
    editing = body.get("inputImage") is not None
    if editing and not is_url(body["inputImage"]):
        raise invalid("inputImage must be an http(s) URL")
    if body.get("safetyTolerance") is not None:
        check_number("safetyTolerance", body["safetyTolerance"], 0, 2 if editing else 6)
    _check_callback(body)
    gen_type = "image-edit" if editing else "text-to-image"
    return TaskPlan(model, gen_type, OutputKind.IMAGE, body, FLUX_PRICES[model])


class Gpt4oFamily(Family):
    """Records and callbacks of 4o Image tasks."""

    name = "gpt4o"

    def record(self, task: Task, now: float) -> dict[str, Any]:
        """record-info `data`."""
        done = task.state is TaskState.SUCCESS
        return {
            "taskId": task.id,
            "paramJson": compact_json(task.request),
            "completeTime": ms(task.completed),
            "createTime": ms(task.created),
            "response": {"resultUrls": list(task.result_urls)} if done else None,
            "successFlag": success_flag(task, 2),
            "status": _GPT4O_STATUS.get(task.state, "GENERATING"),
            "errorCode": error_code(task),
            "errorMessage": error_message(task),
            "progress": _progress(task, now),
        }

    def final_callback(self, task: Task, now: float) -> dict[str, Any]:
        """`info.result_urls` on success; `info: null` and the failure code otherwise."""
        if task.state is TaskState.SUCCESS:
            return {
                "code": 200,
                "msg": "success",
                "data": {"taskId": task.id, "info": {"result_urls": list(task.result_urls)}},
            }
        return {
            "code": error_code(task) or 500,
            "msg": task.fail_msg or "",
            "data": {"taskId": task.id, "info": None},
        }


def _progress(task: Task, now: float) -> str:
    if task.state is TaskState.SUCCESS:
        return "1.00"
    start, end = task.phase_ends[1], task.phase_ends[2]
    if task.state is not TaskState.GENERATING or end <= start:
        return "0.00"
    return f"{max(0.0, min(0.99, (now - start) / (end - start))):.2f}"


class FluxFamily(Family):
    """Records and callbacks of Flux Kontext tasks."""

    name = "flux"

    def record(self, task: Task, now: float) -> dict[str, Any]:
        """record-info `data`."""
        return {
            "taskId": task.id,
            "paramJson": compact_json(task.request),
            "completeTime": iso_time(task.completed),
            "response": self._info(task) if task.state is TaskState.SUCCESS else None,
            "successFlag": success_flag(task, 3),
            "errorCode": error_code(task),
            "errorMessage": error_message(task),
            "createTime": iso_time(task.created),
        }

    def final_callback(self, task: Task, now: float) -> dict[str, Any]:
        """`info` {originImageUrl, resultImageUrl} on success."""
        if task.state is TaskState.SUCCESS:
            data = {"taskId": task.id, "info": self._info(task)}
            return {"code": 200, "msg": "BFL image generated successfully.", "data": data}
        return {
            "code": error_code(task) or 500,
            "msg": task.fail_msg or "",
            "data": {"taskId": task.id, "info": None},
        }

    @staticmethod
    def _info(task: Task) -> dict[str, Any]:
        url = task.result_urls[0] if task.result_urls else ""
        return {"originImageUrl": url, "resultImageUrl": url}
