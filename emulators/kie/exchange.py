"""One KIE API exchange: authenticate, inject faults, run the operation, envelope, record.

Errors are answered as KIE does in practice, HTTP 200 with the error in the body `code`, unless the
emulator mirrors codes as HTTP statuses or a fault rule sets its own status (kie-api.md §1.2).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .errors import KieFailure
from .faults import ApiFault
from .state import KieState

__all__ = ["STATE_KEY", "CallInfo", "Operation", "exchange"]

STATE_KEY = web.AppKey("kie_emulator_state", KieState)


@dataclass
class CallInfo:
    """What an operation learned about the call, for its record."""

    model: str | None = None
    task_id: str | None = None


Operation = Callable[[web.Request, KieState, str, CallInfo], Awaitable[Any]]
"""Runs one endpoint for an authenticated key and returns the envelope's `data`."""


async def exchange(
    request: web.Request, endpoint: str, operation: Operation, *, upload: bool = False
) -> web.Response:
    """Answer one API request with KIE's envelope (plus `success` on the upload host)."""
    state = request.app[STATE_KEY]
    info, key, rule = CallInfo(), None, None
    try:
        key = state.authenticate(request.headers.get("Authorization"))
        rule = await _draw_faults(state, endpoint)
        if rule is not None and not (rule.after_create and endpoint == "createTask"):
            raise rule.failure()
        data = await operation(request, state, key, info)
        if rule is not None:
            raise rule.failure()
        body, status = {"code": 200, "msg": "success", "data": data}, 200
    except KieFailure as failure:
        body, status = failure.envelope(), _status(state, failure, rule)
    if upload:
        body = {"success": body["code"] == 200, **body}
        if body["success"]:
            body["msg"] = "File uploaded successfully"
    state.record_call(
        endpoint=endpoint,
        method=request.method,
        path=request.path,
        api_key=key,
        model=info.model,
        task_id=info.task_id,
        code=int(body["code"]),
        http_status=status,
        msg=str(body["msg"]),
    )
    return web.json_response(body, status=status)


async def _draw_faults(state: KieState, endpoint: str) -> ApiFault | None:
    """Sleep for the slow rules that fire; return the error rule that fires, if any."""
    delay, rule = state.faults.draw(endpoint)
    if delay:
        await asyncio.sleep(delay)
    return rule


def _status(state: KieState, failure: KieFailure, rule: ApiFault | None) -> int:
    if rule is not None and rule.http_status is not None and failure.code == rule.failure().code:
        return rule.http_status
    return failure.code if state.config.mirror_http_status else 200
