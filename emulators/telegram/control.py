"""The control API under `/_emulator/...`: drive simulated users and inspect what the bot did.

Answers are `{"ok": true, "result": ...}`, or `{"ok": false, "description": ...}` with status 400 for a
refused action. Routes are listed in the package docstring.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .errors import EmulatorError
from .faults import FaultRule
from .model import Update
from .state import BotApiState
from .uploads import read_multipart_file

__all__ = ["ControlApi"]

JsonHandler = Callable[[web.Request], Awaitable[Any]]


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _json_route(handler: JsonHandler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Wrap a handler returning a result into the control envelope, mapping refusals to 400."""

    async def route(request: web.Request) -> web.Response:
        try:
            return _ok(await handler(request))
        except EmulatorError as exc:
            return web.json_response({"ok": False, "description": str(exc)}, status=400)

    return route


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    try:
        body = await request.json()
    except ValueError as exc:
        raise EmulatorError("body must be JSON") from exc
    if not isinstance(body, dict):
        raise EmulatorError("body must be a JSON object")
    return body


def _int(data: dict[str, Any], name: str, *, required: bool = True) -> int | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise EmulatorError(f"missing field {name!r}")
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise EmulatorError(f"field {name!r} must be an integer") from exc


def _update(update: Update) -> dict[str, Any]:
    return {**update.to_api(), "delivered": update.delivered, "attempts": update.attempts}


class ControlApi:
    """Handlers of the control routes for one state."""

    def __init__(self, state: BotApiState) -> None:
        self._state = state

    def register(self, app: web.Application) -> None:
        """Add the `/_emulator/...` routes."""
        add = app.router.add_route
        for method, path, handler in (
            ("GET", "/_emulator/state", self.summary),
            ("GET", "/_emulator/users", self.list_users),
            ("POST", "/_emulator/users", self.create_user),
            ("POST", "/_emulator/groups", self.create_group),
            ("POST", "/_emulator/send_text", self.send_text),
            ("POST", "/_emulator/press_button", self.press_button),
            ("POST", "/_emulator/send_photo", self.send_photo),
            ("POST", "/_emulator/pay_invoice", self.pay_invoice),
            ("POST", "/_emulator/inline_query", self.inline_query),
            ("POST", "/_emulator/choose_inline_result", self.choose_inline_result),
            ("GET", "/_emulator/inline_queries", self.list_inline_queries),
            ("POST", "/_emulator/inline_feedback", self.set_inline_feedback),
            ("POST", "/_emulator/pay_forwarded_invoice", self.pay_forwarded_invoice),
            ("GET", "/_emulator/calls", self.list_calls),
            ("GET", "/_emulator/chats/{chat_id}/messages", self.list_messages),
            ("GET", "/_emulator/updates", self.list_updates),
            ("GET", "/_emulator/callback_queries", self.list_callback_queries),
            ("GET", "/_emulator/payments", self.list_payments),
            ("GET", "/_emulator/webhook", self.webhook),
            ("GET", "/_emulator/faults", self.list_faults),
            ("POST", "/_emulator/faults", self.add_fault),
            ("DELETE", "/_emulator/faults", self.clear_faults),
            ("GET", "/_emulator/changes", self.wait_changes),
        ):
            add(method, path, _json_route(handler))
        app.router.add_get("/_emulator/files/{file_id}", self.download)

    # -- world -----------------------------------------------------------------------------------

    async def summary(self, request: web.Request) -> dict[str, Any]:
        """Bots with their webhook info, users, chats and the change generation."""
        state = self._state
        return {
            "bots": [
                {"token": b.token, "user": b.user.to_api(), "webhook": b.webhook_info()}
                for b in state.bots.values()
            ],
            "users": [u.to_api() for u in state.users.values()],
            "chats": [c.to_api() for c in state.chats.values()],
            "generation": state.changes.generation,
        }

    async def list_users(self, request: web.Request) -> list[dict[str, Any]]:
        """All simulated users."""
        return [u.to_api() for u in self._state.users.values()]

    async def create_user(self, request: web.Request) -> dict[str, Any]:
        """Body: first_name, username?, last_name?, user_id?, language_code?."""
        data = await _body(request)
        user = self._state.create_user(
            str(data.get("first_name") or "Test"),
            username=data.get("username"),
            last_name=data.get("last_name"),
            user_id=_int(data, "user_id", required=False),
            language_code=data.get("language_code", "en"),
        )
        return user.to_api()

    async def create_group(self, request: web.Request) -> dict[str, Any]:
        """Body: title, member_ids, chat_id?."""
        data = await _body(request)
        members = [int(m) for m in data.get("member_ids") or []]
        chat = self._state.create_group(
            str(data.get("title") or "Group"), members, chat_id=_int(data, "chat_id", required=False)
        )
        return chat.to_api()

    # -- simulated user actions ------------------------------------------------------------------

    async def send_text(self, request: web.Request) -> dict[str, Any]:
        """Body: user_id, text, chat_id?, reply_to_message_id?, token?."""
        data = await _body(request)
        update = self._state.send_text(
            _int(data, "user_id") or 0,
            str(data.get("text") or ""),
            chat_id=_int(data, "chat_id", required=False),
            token=data.get("token"),
            reply_to_message_id=_int(data, "reply_to_message_id", required=False),
        )
        return _update(update)

    async def press_button(self, request: web.Request) -> dict[str, Any]:
        """Body: user_id, message_id, callback_data or button_text, chat_id?, token?."""
        data = await _body(request)
        update = self._state.press_button(
            _int(data, "user_id") or 0,
            _int(data, "message_id") or 0,
            callback_data=data.get("callback_data"),
            button_text=data.get("button_text"),
            chat_id=_int(data, "chat_id", required=False),
            token=data.get("token"),
        )
        return _update(update)

    async def send_photo(self, request: web.Request) -> dict[str, Any]:
        """Multipart (fields user_id, caption?, chat_id?, token? and a file part) or JSON with data_base64."""
        data, blob, name = await _photo_request(request)
        update = self._state.send_photo(
            _int(data, "user_id") or 0,
            blob,
            caption=data.get("caption") or None,
            file_name=name,
            chat_id=_int(data, "chat_id", required=False),
            token=data.get("token") or None,
        )
        return _update(update)

    async def pay_invoice(self, request: web.Request) -> dict[str, Any]:
        """Body: user_id, message_id (of the invoice), chat_id?, token?."""
        data = await _body(request)
        update = self._state.pay_invoice(
            _int(data, "user_id") or 0,
            _int(data, "message_id") or 0,
            chat_id=_int(data, "chat_id", required=False),
            token=data.get("token"),
        )
        return _update(update)

    async def pay_forwarded_invoice(self, request: web.Request) -> dict[str, Any]:
        """Body: user_id, from_chat_id, message_id (of the invoice there), token?."""
        data = await _body(request)
        update = self._state.pay_forwarded_invoice(
            _int(data, "user_id") or 0,
            _int(data, "from_chat_id") or 0,
            _int(data, "message_id") or 0,
            token=data.get("token"),
        )
        return _update(update)

    async def inline_query(self, request: web.Request) -> dict[str, Any]:
        """Body: user_id, query, chat_id?, offset?, token?: the user types ``@bot query`` in a chat."""
        data = await _body(request)
        update = self._state.send_inline_query(
            _int(data, "user_id") or 0,
            str(data.get("query") or ""),
            chat_id=_int(data, "chat_id", required=False),
            offset=str(data.get("offset") or ""),
            token=data.get("token"),
        )
        return _update(update)

    async def choose_inline_result(self, request: web.Request) -> dict[str, Any]:
        """Body: user_id, inline_query_id, result_id, token?: the chosen result is sent via the bot."""
        data = await _body(request)
        message = self._state.choose_inline_result(
            _int(data, "user_id") or 0,
            str(data.get("inline_query_id") or ""),
            str(data.get("result_id") or ""),
            token=data.get("token"),
        )
        return message.snapshot()

    async def set_inline_feedback(self, request: web.Request) -> bool:
        """Body: enabled, token?: whether chosen_inline_result updates are sent (off by default)."""
        data = await _body(request)
        self._state.bot(data.get("token")).inline_feedback = bool(data.get("enabled"))
        return True

    # -- inspection ------------------------------------------------------------------------------

    async def list_inline_queries(self, request: web.Request) -> list[dict[str, Any]]:
        """Query: token?, user_id?: inline queries typed, with the bot's answers (results)."""
        bot = self._state.bot(request.query.get("token"))
        user_id = _int(dict(request.query), "user_id", required=False)
        return [r.to_api() for r in bot.inline_queries.values() if user_id is None or r.user_id == user_id]

    async def list_calls(self, request: web.Request) -> list[dict[str, Any]]:
        """Query: method?, token?, since? (seq): recorded Bot API calls, oldest first."""
        query = request.query
        since = _int(dict(query), "since", required=False) or 0
        calls = self._state.calls_of(query.get("method"), token=query.get("token"))
        return [c.to_api() for c in calls if c.seq > since]

    async def list_messages(self, request: web.Request) -> list[dict[str, Any]]:
        """Query: token?, include_deleted?: the chat's messages as they stand now."""
        chat_id = _int(dict(request.match_info), "chat_id") or 0
        include = request.query.get("include_deleted", "").lower() in ("1", "true", "yes")
        messages = self._state.chat_messages(
            chat_id, token=request.query.get("token"), include_deleted=include
        )
        return [m.snapshot() for m in messages]

    async def list_updates(self, request: web.Request) -> list[dict[str, Any]]:
        """Query: token?: every update made for the bot, with delivery status."""
        return [_update(u) for u in self._state.bot(request.query.get("token")).updates]

    async def list_callback_queries(self, request: web.Request) -> list[dict[str, Any]]:
        """Query: token?: button presses and the bot's answers (text, show_alert, url)."""
        bot = self._state.bot(request.query.get("token"))
        return [
            {
                "id": r.id,
                "user_id": r.user_id,
                "chat_id": r.chat_id,
                "message_id": r.message_id,
                "data": r.data,
                "inline_message_id": r.inline_message_id,
                "answer": r.answer,
            }
            for r in bot.callback_queries.values()
        ]

    async def list_payments(self, request: web.Request) -> dict[str, Any]:
        """Query: token?: checkouts (with the bot's answers) and completed payments."""
        bot = self._state.bot(request.query.get("token"))
        checkouts = [
            {
                "id": c.id,
                "user_id": c.user_id,
                "invoice_message_id": c.invoice_message_id,
                "total_amount": c.total_amount,
                "currency": c.currency,
                "invoice_payload": c.payload,
                "ok": c.ok,
                "error_message": c.error_message,
            }
            for c in bot.checkouts.values()
        ]
        return {"checkouts": checkouts, "payments": [p.to_api() for p in bot.payments.values()]}

    async def webhook(self, request: web.Request) -> dict[str, Any]:
        """Query: token?: getWebhookInfo plus delivery counters."""
        bot = self._state.bot(request.query.get("token"))
        return {"info": bot.webhook_info(), "stats": bot.webhook_stats.to_api()}

    async def wait_changes(self, request: web.Request) -> dict[str, Any]:
        """Query: after (generation), timeout (s, at most 30): long-poll until something changes."""
        query = dict(request.query)
        after = _int(query, "after", required=False)
        seconds = min(float(query.get("timeout") or 25), 30.0)
        signal = self._state.changes
        if after is not None and after == signal.generation:
            await signal.wait(after, seconds)
        return {"generation": signal.generation}

    # -- faults ----------------------------------------------------------------------------------

    async def list_faults(self, request: web.Request) -> list[dict[str, Any]]:
        """The active fault rules."""
        return [rule.to_api() for rule in self._state.faults.rules]

    async def add_fault(self, request: web.Request) -> dict[str, Any]:
        """Body: method, kind ("429" | "500" | "slow"), count?, fraction?, retry_after?, delay?."""
        return self._state.faults.add(FaultRule.from_api(await _body(request))).to_api()

    async def clear_faults(self, request: web.Request) -> bool:
        """Remove every fault rule."""
        self._state.faults.clear()
        return True

    async def download(self, request: web.Request) -> web.Response:
        """A stored file's bytes by file_id (for the web chat, which holds no bot token)."""
        stored = self._state.files.find(request.match_info["file_id"])
        if stored is None:
            return web.json_response({"ok": False, "description": "no such file"}, status=404)
        return web.Response(body=stored.data, content_type=stored.mime_type)


async def _photo_request(request: web.Request) -> tuple[dict[str, Any], bytes, str]:
    """Read a photo upload: multipart with one file part, or JSON with base64 data."""
    if request.content_type.startswith("multipart/"):
        fields, blob, name = await read_multipart_file(request)
        return dict(fields), blob, name
    data = await _body(request)
    try:
        blob = base64.b64decode(str(data.get("data_base64") or ""), validate=True)
    except binascii.Error as exc:
        raise EmulatorError("data_base64 is not base64") from exc
    if not blob:
        raise EmulatorError("missing field 'data_base64'")
    return data, blob, str(data.get("file_name") or "photo.jpg")
