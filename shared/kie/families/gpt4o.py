"""The 4o Image family (GPT-Image-1): images from `/api/v1/gpt4o-image/generate` (kie-api.md §4.3).

    POST /api/v1/gpt4o-image/generate     {"size": 1:1|3:2|2:3 (required), "prompt", "filesUrl",
                                           "maskUrl", "nVariants": 1|2|4, "callBackUrl", ...}
                                           → data.taskId (no model field)
    GET  /api/v1/gpt4o-image/record-info  ?taskId=  → successFlag 0 generating, 1 success, 2 failed;
                                           status GENERATING|SUCCESS|CREATE_TASK_FAILED|GENERATE_FAILED;
                                           response.resultUrls[] (some examples: result_urls);
                                           progress "0.00".."1.00"

Callback: `data.taskId`, `data.info.result_urls[]` on code 200; 400/451/500 with `info: null`.
Docs: https://docs.kie.ai/4o-image-api/generate-4-o-image, …/get-4-o-image-details
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
from shared.kie.fields import as_text, url_list
from shared.kie.records import TaskRecord, TaskState

__all__ = ["GPT4O_IMAGE"]

_FLAGS = {0: TaskState.GENERATING, 1: TaskState.SUCCESS, 2: TaskState.FAIL}
_FAILED_STATUSES = frozenset({"CREATE_TASK_FAILED", "GENERATE_FAILED"})


def parse_gpt4o_record(data: object) -> TaskRecord:
    """Map a 4o Image record-info `data` onto a `TaskRecord` (a failed `status` wins over the flag)."""
    record, task_id = require_task_id(data)
    response = sub(record, "response", task_id)
    urls = url_list(response.get("resultUrls")) or url_list(response.get("result_urls"))
    if as_text(record.get("status")) in _FAILED_STATUSES:
        record = {**record, "successFlag": 2}
    return flag_record(record, task_id, FlagRecord(_FLAGS, urls_as_items(urls), model="gpt4o-image"))


GPT4O_IMAGE = Family(
    route="4o-image",
    create_path="/api/v1/gpt4o-image/generate",
    record_path="/api/v1/gpt4o-image/record-info",
    build=plain_body(None),
    parse=parse_gpt4o_record,
    callback='{"code", "msg", "data": {"taskId", "info": {"result_urls": [...]}}}',
    doc="https://docs.kie.ai/4o-image-api/generate-4-o-image",
)
