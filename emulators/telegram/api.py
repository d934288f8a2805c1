"""The Bot API routes: `/bot{token}/{method}` and file downloads at `/file/bot{token}/{file_path}`.

Every call is answered with Telegram's envelope and recorded on the state, faults included.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import aiohttp
import structlog
from aiohttp import web

from .call import Described, Handler, MethodCall
from .errors import (
    BadRequest,
    BotApiError,
    EntityTooLarge,
    Forbidden,
    InternalError,
    NotFound,
    TooManyRequests,
    Unauthorized,
)
from .faults import FaultKind, FaultRule
from .methods_core import CORE_METHODS
from .methods_inline import INLINE_METHODS
from .methods_media import MEDIA_METHODS
from .methods_messages import MESSAGE_METHODS
from .methods_payments import PAYMENT_METHODS
from .params import Params, read_params
from .state import BotApiState

__all__ = ["HTTP_KEY", "STATE_KEY", "BotApiRoutes", "method_table"]

STATE_KEY = web.AppKey("telegram_emulator_state", BotApiState)
HTTP_KEY = web.AppKey("telegram_emulator_http", aiohttp.ClientSession)

log = structlog.get_logger(__name__)


def method_table(*tables: Mapping[str, Handler]) -> dict[str, tuple[str, Handler]]:
    """Merge method tables into a case-insensitive lookup (Telegram ignores the method's case)."""
    merged: dict[str, tuple[str, Handler]] = {}
    for table in tables:
        for name, handler in table.items():
            merged[name.lower()] = (name, handler)
    return merged


class BotApiRoutes:
    """Handlers for the bot-facing routes, bound to one method table."""

    def __init__(self, methods: dict[str, tuple[str, Handler]]) -> None:
        self._methods = methods

    def register(self, app: web.Application) -> None:
        """Add the Bot API and file routes to the app."""
        app.router.add_route("*", "/bot{token}/{method}", self.handle_method)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self.handle_file)

    async def handle_method(self, request: web.Request) -> web.Response:
        """Authenticate, dispatch, envelope and record one Bot API call."""
        state = request.app[STATE_KEY]
        token = request.match_info["token"]
        bot = state.find_bot(token)
        if bot is None:
            return _answer(Unauthorized().envelope(), 401)
        requested = request.match_info["method"]
        name, handler = self._methods.get(requested.lower(), (requested, None))
        params = Params()
        fault = ""
        try:
            params = await read_params(request)
            if handler is None:
                raise NotFound()
            rules = state.faults.draw(name)
            fault = ",".join(rule.kind.value for rule in rules)
            await _inject_faults(rules)
            call = MethodCall(state=state, bot=bot, params=params, http=request.app.get(HTTP_KEY))
            body, status = _success(await handler(call)), 200
        except BotApiError as exc:
            body, status = exc.envelope(), exc.status
        except _ConnectionDropped:
            state.record_call(token, name, params.recordable(), 0, {}, fault)
            return _drop_connection(request)
        state.record_call(token, name, params.recordable(), status, body, fault)
        return _answer(body, status)

    async def handle_file(self, request: web.Request) -> web.StreamResponse:
        """Serve a stored file's bytes."""
        state = request.app[STATE_KEY]
        if state.find_bot(request.match_info["token"]) is None:
            return _answer(Unauthorized().envelope(), 401)
        stored = state.files.by_path(request.match_info["file_path"])
        if stored is None:
            return _answer(NotFound().envelope(), 404)
        return web.Response(body=stored.data, content_type=stored.mime_type)


class _ConnectionDropped(Exception):
    """A reset rule fired: the call gets no answer at all."""


async def _inject_faults(rules: list[FaultRule]) -> None:
    """Apply the fault rules that fire for this call (a slow one first, then the failing one)."""
    for rule in sorted(rules, key=lambda r: r.kind is not FaultKind.SLOW):
        if rule.kind is FaultKind.SLOW:
            await asyncio.sleep(rule.delay)
        elif rule.kind is FaultKind.RESET:
            raise _ConnectionDropped
        elif rule.kind is FaultKind.FLOOD:
            raise TooManyRequests(rule.retry_after)
        elif rule.kind in _REFUSALS:
            error, default = _REFUSALS[rule.kind]
            raise error(rule.detail or default)
        else:
            raise InternalError()


def _drop_connection(request: web.Request) -> web.Response:
    """Close the client's connection without a byte of answer, as a reset between bot and Telegram does."""
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=204)


_REFUSALS: dict[FaultKind, tuple[type[BotApiError], str]] = {
    FaultKind.BAD_REQUEST: (BadRequest, "IMAGE_PROCESS_FAILED"),
    FaultKind.FORBIDDEN: (Forbidden, "bot was blocked by the user"),
    FaultKind.TOO_LARGE: (EntityTooLarge, ""),
}


def _success(result: Any) -> dict[str, Any]:
    if isinstance(result, Described):
        return {"ok": True, "result": result.result, "description": result.description}
    return {"ok": True, "result": result}


def _answer(body: dict[str, Any], status: int) -> web.Response:
    return web.json_response(body, status=status)


def default_routes() -> BotApiRoutes:
    """The routes with every implemented method."""
    return BotApiRoutes(
        method_table(CORE_METHODS, MESSAGE_METHODS, MEDIA_METHODS, PAYMENT_METHODS, INLINE_METHODS)
    )
