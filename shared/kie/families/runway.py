"""The Runway families: Gen video (`/api/v1/runway/generate`) and Aleph (`/api/v1/aleph/generate`),
kie-api.md §4.5.

    POST /api/v1/runway/generate       {"prompt", "duration": 5|10, "quality": 720p|1080p (required),
                                        "imageUrl", "aspectRatio", "waterMark", "callBackUrl"} → data.taskId
    GET  /api/v1/runway/record-detail  ?taskId=  → state wait|queueing|generating|success|fail;
                                        videoInfo {videoUrl, imageUrl}; failCode, failMsg
    POST /api/v1/aleph/generate        {"prompt", "videoUrl" (required), "aspectRatio", "seed",
                                        "referenceImage", "waterMark", "callBackUrl"} → data.taskId
    GET  /api/v1/aleph/record-info     ?taskId=  → successFlag; response {resultVideoUrl, resultImageUrl}

Callbacks: Runway `data.task_id`, `data.video_url`, `data.image_url`; Aleph puts `taskId` beside
`data` at the top of the body, with `data.result_video_url`, `data.result_image_url`.
Docs: https://docs.kie.ai/runway-api/generate-ai-video, …/get-ai-video-details,
https://docs.kie.ai/runway-api/generate-aleph-video, …/get-aleph-video-details
"""

from __future__ import annotations

from shared.kie.families.base import Family, FlagRecord, flag_record, plain_body, require_task_id, sub
from shared.kie.fields import as_datetime, as_text, json_object, mapping
from shared.kie.records import ResultItem, TaskRecord, TaskState

__all__ = ["ALEPH", "RUNWAY"]

_RUNWAY_STATES = {
    "wait": TaskState.WAITING,
    "queueing": TaskState.QUEUING,
    "generating": TaskState.GENERATING,
    "success": TaskState.SUCCESS,
    "fail": TaskState.FAIL,
}
_ALEPH_FLAGS = {0: TaskState.GENERATING, 1: TaskState.SUCCESS, 2: TaskState.FAIL, 3: TaskState.FAIL}


def parse_runway_record(data: object) -> TaskRecord:
    """Map a Runway record-detail `data` onto a `TaskRecord`; the video's still is its cover."""
    record, task_id = require_task_id(data)
    raw_state = as_text(record.get("state")) or ""
    state = _RUNWAY_STATES.get(raw_state, TaskState.GENERATING)
    video = mapping(record.get("videoInfo"))
    url = as_text(video.get("videoUrl"))
    items = (ResultItem(url, cover_url=as_text(video.get("imageUrl")) or None),) if url else ()
    items = items if state is TaskState.SUCCESS else ()
    return TaskRecord(
        task_id=task_id,
        model="runway",
        state=state,
        state_raw=raw_state,
        param=json_object(record.get("generateParam"), "generateParam", task_id),
        result_urls=tuple(item.url for item in items),
        fail_code=(as_text(record.get("failCode")) or None) if state is TaskState.FAIL else None,
        fail_msg=as_text(record.get("failMsg")) or None,
        create_time=as_datetime(record.get("generateTime")),
        items=items,
    )


def parse_aleph_record(data: object) -> TaskRecord:
    """Map an Aleph record-info `data` onto a `TaskRecord`."""
    record, task_id = require_task_id(data)
    response = sub(record, "response", task_id)
    url = as_text(response.get("resultVideoUrl"))
    items = (ResultItem(url, cover_url=as_text(response.get("resultImageUrl")) or None),) if url else ()
    return flag_record(record, task_id, FlagRecord(_ALEPH_FLAGS, items, model="runway-aleph"))


RUNWAY = Family(
    route="runway",
    create_path="/api/v1/runway/generate",
    record_path="/api/v1/runway/record-detail",
    build=plain_body(None),
    parse=parse_runway_record,
    callback='{"code", "msg", "data": {"task_id", "video_id", "video_url", "image_url"}}',
    doc="https://docs.kie.ai/runway-api/generate-ai-video",
    follow_ups={"extend": "/api/v1/runway/extend"},
)

ALEPH = Family(
    route="aleph",
    create_path="/api/v1/aleph/generate",
    record_path="/api/v1/aleph/record-info",
    build=plain_body(None),
    parse=parse_aleph_record,
    callback='{"code", "msg", "taskId", "data": {"result_video_url", "result_image_url"}}',
    doc="https://docs.kie.ai/runway-api/generate-aleph-video",
)
