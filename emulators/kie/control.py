"""The control API under `/_emulator/...`: credits, faults, tasks, the clock, records and reset.

Answers are `{"ok": true, "result": ...}`, or `{"ok": false, "description": ...}` with status 400
for a refused call. The routes are listed in the package docstring.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .errors import EmulatorError
from .faults import ApiFault
from .model import TaskState
from .state import KieState

__all__ = ["ControlApi"]

JsonHandler = Callable[[web.Request], Awaitable[Any]]


def _json_route(handler: JsonHandler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Wrap a handler's result in the control envelope, mapping refusals to 400."""

    async def route(request: web.Request) -> web.Response:
        try:
            return web.json_response({"ok": True, "result": await handler(request)})
        except EmulatorError as exc:
            return web.json_response({"ok": False, "description": str(exc)}, status=400)

    return route


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise EmulatorError("body must be JSON") from exc
    if not isinstance(body, dict):
        raise EmulatorError("body must be a JSON object")
    return body


def _number(data: dict[str, Any], name: str) -> float:
    try:
        return float(data[name])
    except (KeyError, TypeError, ValueError) as exc:
        raise EmulatorError(f"field {name!r} must be a number") from exc


class ControlApi:
    """Handlers of the control routes for one state."""

    def __init__(self, state: KieState) -> None:
        self._state = state

    def register(self, app: web.Application) -> None:
        """Add the `/_emulator/...` routes."""
        for method, path, handler in (
            ("GET", "/_emulator/state", self.summary),
            ("GET", "/_emulator/credits", self.list_credits),
            ("POST", "/_emulator/credits", self.set_credits),
            ("GET", "/_emulator/tasks", self.list_tasks),
            ("GET", "/_emulator/tasks/{task_id}", self.show_task),
            ("POST", "/_emulator/tasks/{task_id}/advance", self.advance_task),
            ("POST", "/_emulator/tasks/{task_id}/complete", self.complete_task),
            ("POST", "/_emulator/tasks/{task_id}/fail", self.fail_task),
            ("GET", "/_emulator/clock", self.show_clock),
            ("POST", "/_emulator/clock", self.move_clock),
            ("GET", "/_emulator/calls", self.list_calls),
            ("GET", "/_emulator/callbacks", self.list_callbacks),
            ("GET", "/_emulator/faults", self.list_faults),
            ("POST", "/_emulator/faults", self.add_fault),
            ("POST", "/_emulator/faults/tasks", self.set_task_faults),
            ("DELETE", "/_emulator/faults", self.clear_faults),
            ("POST", "/_emulator/reset", self.reset),
        ):
            app.router.add_route(method, path, _json_route(handler))

    async def summary(self, request: web.Request) -> dict[str, Any]:
        """Clock, URLs, task counts per state, record counts and faults."""
        self._state.tick()
        return self._state.summary()

    async def list_credits(self, request: web.Request) -> dict[str, Any]:
        """Every key with its balance."""
        return self._state.accounts.snapshot()

    async def set_credits(self, request: web.Request) -> dict[str, Any]:
        """Body: api_key, credits: set a balance (a new key becomes valid)."""
        data = await _body(request)
        key = data.get("api_key")
        if not isinstance(key, str):
            raise EmulatorError("field 'api_key' must be a string")
        self._state.accounts.set(key, _number(data, "credits"))
        return {"credits": self._state.credit(key)}

    async def list_tasks(self, request: web.Request) -> list[dict[str, Any]]:
        """Query: state?, model?: tasks with their records and planned faults, oldest first."""
        self._state.tick()
        wanted_state, model = request.query.get("state"), request.query.get("model")
        if wanted_state is not None and wanted_state not in {s.value for s in TaskState}:
            raise EmulatorError(f"unknown state {wanted_state!r}")
        now = self._state.clock.now()
        return [
            task.summary(now)
            for task in self._state.tasks
            if (wanted_state is None or task.state.value == wanted_state) and model in (None, task.model)
        ]

    async def show_task(self, request: web.Request) -> dict[str, Any]:
        """One task."""
        self._state.tick()
        task = self._state.tasks.get(request.match_info["task_id"])
        return task.summary(self._state.clock.now())

    async def advance_task(self, request: web.Request) -> dict[str, Any]:
        """End the task's current state now."""
        task = self._state.advance_task(request.match_info["task_id"])
        return task.summary(self._state.clock.now())

    async def complete_task(self, request: web.Request) -> dict[str, Any]:
        """End the task now with success."""
        task = self._state.complete_task(request.match_info["task_id"])
        return task.summary(self._state.clock.now())

    async def fail_task(self, request: web.Request) -> dict[str, Any]:
        """Body: failCode?, failMsg?: end the task now with fail."""
        data = await _body(request)
        code, msg = data.get("failCode"), data.get("failMsg")
        task = self._state.fail_task(
            request.match_info["task_id"],
            None if code is None else str(code),
            None if msg is None else str(msg),
        )
        return task.summary(self._state.clock.now())

    async def show_clock(self, request: web.Request) -> dict[str, Any]:
        """The emulator time (seconds and ms) and whether it is frozen."""
        clock = self._state.clock
        return {"now": clock.now(), "nowMs": clock.now_ms(), "frozen": clock.frozen}

    async def move_clock(self, request: web.Request) -> dict[str, Any]:
        """Body: frozen?, advance? (seconds): freeze/thaw, move time, and report tasks that ended."""
        data = await _body(request)
        if "frozen" in data:
            self._state.clock.set_frozen(bool(data["frozen"]))
        seconds = _number(data, "advance") if "advance" in data else 0.0
        if seconds < 0:
            raise EmulatorError("advance must not be negative")
        ended = self._state.advance_clock(seconds)
        return {**await self.show_clock(request), "ended": [task.id for task in ended]}

    async def list_calls(self, request: web.Request) -> list[dict[str, Any]]:
        """Query: endpoint?, task_id?, since? (seq): recorded API calls, oldest first."""
        query = request.query
        since = int(query.get("since") or 0)
        return [
            call.to_api()
            for call in self._state.calls
            if call.seq > since
            and query.get("endpoint") in (None, call.endpoint)
            and query.get("task_id") in (None, call.task_id)
        ]

    async def list_callbacks(self, request: web.Request) -> list[dict[str, Any]]:
        """Query: task_id?: callback attempts (and deliberate losses), oldest first."""
        task_id = request.query.get("task_id")
        return [a.to_api() for a in self._state.callback_attempts if task_id in (None, a.task_id)]

    async def list_faults(self, request: web.Request) -> dict[str, Any]:
        """Active API fault rules and task fault settings."""
        return self._state.faults.to_api()

    async def add_fault(self, request: web.Request) -> dict[str, Any]:
        """Body: endpoint, kind, count?, fraction?, code?, msg?, http_status?, after_create?, delay?."""
        return self._state.faults.add(ApiFault.from_api(await _body(request))).to_api()

    async def set_task_faults(self, request: web.Request) -> dict[str, Any]:
        """Body: any of fail_fraction, lose_callback_fraction, duplicate_callback_fraction,
        fail_next, lose_callback_next, duplicate_callback_next, and seed (restarts the streams)."""
        data = await _body(request)
        seed = data.pop("seed", None)
        try:
            self._state.faults.tasks.update(data)
        except (TypeError, ValueError) as exc:
            raise EmulatorError(f"invalid task fault settings: {exc}") from exc
        if seed is not None:
            self._state.faults.reseed(int(seed))
        return self._state.faults.to_api()

    async def clear_faults(self, request: web.Request) -> dict[str, Any]:
        """Remove every fault."""
        self._state.faults.clear()
        return self._state.faults.to_api()

    async def reset(self, request: web.Request) -> dict[str, Any]:
        """Forget tasks, files, records and faults; restore the starting balances."""
        self._state.reset()
        return self._state.summary()
