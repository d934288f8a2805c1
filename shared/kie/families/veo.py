"""The Veo 3.1 family: video from `/api/v1/veo/generate` (kie-api.md §4.1).

    POST /api/v1/veo/generate        {"prompt", "model": veo3|veo3_fast|veo3_lite, "imageUrls",
                                      "generationType", "aspectRatio", "resolution", "duration",
                                      "callBackUrl", ...} → data.taskId
    GET  /api/v1/veo/record-info     ?taskId=  → successFlag 0 generating, 1 success, 2 failed,
                                      3 generation failed; response.resultUrls[]; errorCode, errorMessage

Callback: `data.taskId`, `data.info.resultUrls[]` (and `originUrls`, `resolution`) on code 200;
codes 400/422/500/501 without `info` on failure. Follow-ups on a finished task: 1080p
(`GET get-1080p-video?taskId=&index=0` → data.resultUrl), 4K (`POST get-4k-video`) and extend.
Docs: https://docs.kie.ai/veo3-api/generate-veo-3-video, …/get-veo-3-video-details
"""

from __future__ import annotations

from shared.kie.families.base import (
    Family,
    FlagRecord,
    flag_record,
    plain_body,
    require_task_id,
    sub,
    urls_as_items,
)
from shared.kie.fields import url_list
from shared.kie.records import TaskRecord, TaskState

__all__ = ["VEO"]

_FLAGS = {0: TaskState.GENERATING, 1: TaskState.SUCCESS, 2: TaskState.FAIL, 3: TaskState.FAIL}


def parse_veo_record(data: object) -> TaskRecord:
    """Map a Veo record-info `data` onto a `TaskRecord`."""
    record, task_id = require_task_id(data)
    urls = url_list(sub(record, "response", task_id).get("resultUrls"))
    return flag_record(record, task_id, FlagRecord(_FLAGS, urls_as_items(urls)))


VEO = Family(
    route="veo",
    create_path="/api/v1/veo/generate",
    record_path="/api/v1/veo/record-info",
    build=plain_body("model"),
    parse=parse_veo_record,
    callback='{"code", "msg", "data": {"taskId", "info": {"resultUrls", "originUrls", "resolution"}}}',
    doc="https://docs.kie.ai/veo3-api/generate-veo-3-video",
    follow_ups={
        "1080p": "/api/v1/veo/get-1080p-video",
        "4k": "/api/v1/veo/get-4k-video",
        "extend": "/api/v1/veo/extend",
    },
)
