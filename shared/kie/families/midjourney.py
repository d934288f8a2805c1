"""The Midjourney family: a grid of four images from `/api/v1/mj/generate` (kie-api.md §4.6).

    POST /api/v1/mj/generate      {"taskType": mj_txt2img|mj_img2img|..., "prompt", "speed":
                                   relaxed|fast|turbo, "fileUrls", "aspectRatio", "version",
                                   "stylization", "weirdness", "callBackUrl", ...} → data.taskId
    GET  /api/v1/mj/record-info   ?taskId=  → successFlag 0 generating, 1 success, 2 create failed,
                                   3 generation failed; resultInfoJson.resultUrls[].resultUrl (four)

The registry model id picks `taskType` (there is no model field). Callback: `data.taskId`,
`data.resultUrls[]` [3P]. Follow-ups on one of the four: `POST /api/v1/mj/generateUpscale` and
`/generateVary` with {taskId, imageIndex 1-4}.
Docs: https://docs.kie.ai/mj-api/generate-mj-image, https://docs.kie.ai/mj-api/get-mj-task-details
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.kie.families.base import (
    Family,
    FlagRecord,
    flag_record,
    plain_body,
    require_task_id,
    sub,
    urls_as_items,
)
from shared.kie.fields import as_text
from shared.kie.records import TaskRecord, TaskState

__all__ = ["MIDJOURNEY", "TASK_TYPES"]

TASK_TYPES = {
    "midjourney/text-to-image": {"taskType": "mj_txt2img"},
    "midjourney/image-to-image": {"taskType": "mj_img2img"},
    "midjourney/image-to-video": {"taskType": "mj_video"},
}
"""Registry model id → the fixed fields that select the Midjourney task type."""

_FLAGS = {0: TaskState.GENERATING, 1: TaskState.SUCCESS, 2: TaskState.FAIL, 3: TaskState.FAIL}


def parse_mj_record(data: object) -> TaskRecord:
    """Map a Midjourney record-info `data` onto a `TaskRecord`: the grid's images, in order."""
    record, task_id = require_task_id(data)
    results = sub(record, "resultInfoJson", task_id).get("resultUrls")
    urls = tuple(
        url
        for url in (as_text(item.get("resultUrl")) for item in results or () if isinstance(item, Mapping))
        if url
    )
    model = as_text(record.get("taskType")) or ""
    return flag_record(record, task_id, FlagRecord(_FLAGS, urls_as_items(urls), model=model))


MIDJOURNEY = Family(
    route="midjourney",
    create_path="/api/v1/mj/generate",
    record_path="/api/v1/mj/record-info",
    build=plain_body(None, TASK_TYPES),
    parse=parse_mj_record,
    callback='{"code", "msg", "data": {"taskId", "promptJson", "resultUrls": [...]}}',
    doc="https://docs.kie.ai/mj-api/generate-mj-image",
    follow_ups={"upscale": "/api/v1/mj/generateUpscale", "vary": "/api/v1/mj/generateVary"},
)
