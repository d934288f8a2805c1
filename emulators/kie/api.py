"""The KIE API routes (kie-api.md §2, §5) and the file host serving results and uploads.

POST /api/v1/jobs/createTask        {model, input, callBackUrl?} → data.taskId
GET  /api/v1/jobs/recordInfo        ?taskId= → the task record
GET  /api/v1/chat/credit            → the key's balance
POST /api/v1/common/download-url    {url} → a 20-minute link (only for our own files)
GET  /files/{path}                  a stored file's bytes (no auth, like KIE's CDN)
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .errors import KieFailure
from .exchange import STATE_KEY, CallInfo, exchange
from .state import KieState

__all__ = ["register_api_routes"]


async def _json_body(request: web.Request) -> Any:
    try:
        return json.loads(await request.read() or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise KieFailure(422, "Request body must be valid JSON") from exc


async def _create_task(request: web.Request, state: KieState, key: str, info: CallInfo) -> Any:
    body = await _json_body(request)
    if isinstance(body, dict) and isinstance(body.get("model"), str):
        info.model = body["model"]
    task = state.create_task(key, body)
    info.task_id = task.id
    return {"taskId": task.id}


async def _record_info(request: web.Request, state: KieState, key: str, info: CallInfo) -> Any:
    info.task_id = request.query.get("taskId") or None
    data = state.record_info(key, info.task_id)
    info.model = data["model"]
    return data


async def _credit(request: web.Request, state: KieState, key: str, info: CallInfo) -> Any:
    return state.credit(key)


async def _download_url(request: web.Request, state: KieState, key: str, info: CallInfo) -> Any:
    body = await _json_body(request)
    return state.download_url(body.get("url") if isinstance(body, dict) else None)


async def create_task(request: web.Request) -> web.Response:
    """POST /api/v1/jobs/createTask."""
    return await exchange(request, "createTask", _create_task)


async def record_info(request: web.Request) -> web.Response:
    """GET /api/v1/jobs/recordInfo."""
    return await exchange(request, "recordInfo", _record_info)


async def credit(request: web.Request) -> web.Response:
    """GET /api/v1/chat/credit."""
    return await exchange(request, "credit", _credit)


async def download_url(request: web.Request) -> web.Response:
    """POST /api/v1/common/download-url."""
    return await exchange(request, "downloadUrl", _download_url)


async def serve_file(request: web.Request) -> web.Response:
    """GET /files/{path}: a stored result or upload."""
    stored = request.app[STATE_KEY].files.get(request.match_info["path"])
    if stored is None:
        return web.json_response({"code": 404, "msg": "File not found", "data": None}, status=404)
    return web.Response(body=stored.data, content_type=stored.mime_type)


def register_api_routes(app: web.Application) -> None:
    """Add the KIE API and file routes."""
    app.router.add_post("/api/v1/jobs/createTask", create_task)
    app.router.add_get("/api/v1/jobs/recordInfo", record_info)
    app.router.add_get("/api/v1/chat/credit", credit)
    app.router.add_post("/api/v1/common/download-url", download_url)
    app.router.add_get("/files/{path:.+}", serve_file)
