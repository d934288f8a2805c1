"""The HTTP routes of the dedicated API families (kie-api.md §4), beside Market's in api.py.

Every create and follow-up POST (families.CREATE_ROUTES) answers `data: {taskId}`; every record GET
(families.RECORD_ROUTES) answers the family's record shape. Two calls answer otherwise:

GET  /api/v1/veo/get-1080p-video       ?taskId=&index=0 → data {resultUrl} once the upgrade is done;
                                       the first call starts it, calls before it ends answer 422
POST /api/v1/gpt4o-image/download-url  {taskId, url} → data: a 20-minute link (a string)

Fault endpoints are named "<family>.<call>", e.g. "suno.generate", "veo.recordInfo", "veo.1080p".
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .errors import RECORD_IS_NULL, KieFailure
from .exchange import CallInfo, exchange
from .families import CREATE_ROUTES, RECORD_ROUTES, CreateRoute
from .families.veo import NOT_READY, upgrade_plan
from .model import TaskState
from .state import KieState

__all__ = ["register_family_routes"]

Handler = Callable[[web.Request], Awaitable[web.Response]]


async def _json_body(request: web.Request) -> Any:
    try:
        return json.loads(await request.read() or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise KieFailure(422, "Request body must be valid JSON") from exc


def _create(route: CreateRoute) -> Handler:
    async def operation(request: web.Request, state: KieState, key: str, info: CallInfo) -> Any:
        task = state.create_family_task(key, route.family, route.parse, await _json_body(request))
        info.task_id, info.model = task.id, task.model
        return {"taskId": task.id, **dict(route.answer)}

    async def handler(request: web.Request) -> web.Response:
        return await exchange(request, route.endpoint, operation)

    return handler


def _record(family: str) -> Handler:
    async def operation(request: web.Request, state: KieState, key: str, info: CallInfo) -> Any:
        info.task_id = request.query.get("taskId") or None
        return state.record_info(key, info.task_id, family)

    async def handler(request: web.Request) -> web.Response:
        return await exchange(request, f"{family}.recordInfo", operation)

    return handler


async def _veo_1080p(request: web.Request, state: KieState, key: str, info: CallInfo) -> Any:
    task_id = info.task_id = request.query.get("taskId") or None
    if not task_id:
        raise KieFailure(400, "taskId parameter is required")
    parent = state.lookup(key, "veo")(task_id)
    if parent is None:
        raise KieFailure(422, RECORD_IS_NULL)
    index = request.query.get("index", "0")
    upgrade = state.upgrades.get((parent.id, index))
    if upgrade is None:
        state.upgrades[(parent.id, index)] = state.start(key, "veo", upgrade_plan(parent, index)).id
        raise KieFailure(422, NOT_READY)
    state.tick()
    child = state.tasks.get(upgrade)
    if child.state is TaskState.SUCCESS:
        return {"resultUrl": child.result_urls[0]}
    if child.state is TaskState.FAIL:
        raise KieFailure(int(child.fail_code or 500), child.fail_msg or "1080P generation failed")
    raise KieFailure(422, NOT_READY)


async def _gpt4o_download(request: web.Request, state: KieState, key: str, info: CallInfo) -> Any:
    body = await _json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("taskId"), str):
        raise KieFailure(422, "taskId is required")
    task = state.lookup(key, "gpt4o")(body["taskId"])
    info.task_id = body["taskId"]
    if task is None or body.get("url") not in task.result_urls:
        raise KieFailure(422, "url is not a result of this task")
    return state.file_link(body["url"])


def register_family_routes(app: web.Application) -> None:
    """Add every family route."""
    for route in CREATE_ROUTES:
        app.router.add_post(route.path, _create(route))
    for path, family in RECORD_ROUTES.items():
        app.router.add_get(path, _record(family))

    async def veo_1080p(request: web.Request) -> web.Response:
        return await exchange(request, "veo.1080p", _veo_1080p)

    async def gpt4o_download(request: web.Request) -> web.Response:
        return await exchange(request, "gpt4o.downloadUrl", _gpt4o_download)

    app.router.add_get("/api/v1/veo/get-1080p-video", veo_1080p)
    app.router.add_post("/api/v1/gpt4o-image/download-url", gpt4o_download)
