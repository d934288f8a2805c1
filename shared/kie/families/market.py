"""The Market family: one createTask / recordInfo pair for every `model`-based generation (kie-api.md §2).

    POST /api/v1/jobs/createTask   {"model", "input": {...}, "callBackUrl"}  → data.taskId
    GET  /api/v1/jobs/recordInfo   ?taskId=  → state waiting|queuing|generating|success|fail,
                                   resultJson (JSON string) {"resultUrls": [...]}, failCode, failMsg

Callback: the envelope around a recordInfo-like `data` (`data.taskId`, `data.state`), code 200 on
success and 501 on failure. Doc: https://docs.kie.ai/market/common/get-task-detail
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.kie.families.base import Family
from shared.kie.records import parse_task_record

__all__ = ["MARKET"]


def _build(model: str, params: Mapping[str, Any], callback_url: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "input": dict(params)}
    if callback_url:
        body["callBackUrl"] = callback_url
    return body


MARKET = Family(
    route="market",
    create_path="/api/v1/jobs/createTask",
    record_path="/api/v1/jobs/recordInfo",
    build=_build,
    parse=parse_task_record,
    callback='{"code": 200|501, "msg", "data": {"taskId", "state", "resultJson", "failCode", ...}}',
    doc="https://docs.kie.ai/market/common/get-task-detail",
)
