"""The Flux Kontext family: images from `/api/v1/flux/kontext/generate` (kie-api.md §4.4).

    POST /api/v1/flux/kontext/generate     {"prompt" (required), "model": flux-kontext-pro|max,
                                            "inputImage" (edit mode), "aspectRatio", "outputFormat",
                                            "callBackUrl", ...} → data.taskId
    GET  /api/v1/flux/kontext/record-info  ?taskId=  → successFlag 0 generating, 1 success,
                                            2 create failed, 3 generation failed;
                                            response.resultImageUrl (and originImageUrl)

Callback: `data.taskId`, `data.info.resultImageUrl` (and `originImageUrl`) on code 200.
Docs: https://docs.kie.ai/flux-kontext-api/generate-or-edit-image, …/get-image-details
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
from shared.kie.fields import as_text
from shared.kie.records import TaskRecord, TaskState

__all__ = ["FLUX_KONTEXT"]

_FLAGS = {0: TaskState.GENERATING, 1: TaskState.SUCCESS, 2: TaskState.FAIL, 3: TaskState.FAIL}


def parse_flux_record(data: object) -> TaskRecord:
    """Map a Flux Kontext record-info `data` onto a `TaskRecord` (the result is one image)."""
    record, task_id = require_task_id(data)
    url = as_text(sub(record, "response", task_id).get("resultImageUrl"))
    return flag_record(record, task_id, FlagRecord(_FLAGS, urls_as_items((url,) if url else ())))


FLUX_KONTEXT = Family(
    route="flux-kontext",
    create_path="/api/v1/flux/kontext/generate",
    record_path="/api/v1/flux/kontext/record-info",
    build=plain_body("model"),
    parse=parse_flux_record,
    callback='{"code", "msg", "data": {"taskId", "info": {"originImageUrl", "resultImageUrl"}}}',
    doc="https://docs.kie.ai/flux-kontext-api/generate-or-edit-image",
)
