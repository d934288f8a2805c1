"""The web chat: static page plus a small JSON API that acts as the test users in the Bot API emulator.

It runs in the same process as the emulator and uses its state directly; routes are listed in the
package docstring. Refused actions (unknown user, no such button) answer 400 with a description.

Only the page itself may drive it: a request whose ``Host`` is not this chat's address (a rebound DNS
name) or a POST whose ``Origin`` is another site's answers 403, so no web page the developer happens
to open can act as the test users. Files users uploaded are served as downloads unless they are
pictures, clips or sounds, never as a page that could run script on the chat's origin.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from emulators.telegram import BotApiState, EmulatorError, Update
from emulators.telegram.uploads import read_multipart_file

from .status import StatusReader
from .users import TestUser
from .views import chat_view, inline_view

__all__ = ["STATIC_DIR", "ChatApi", "create_chat_app"]

STATIC_DIR = Path(__file__).parent / "static"
LOCAL_NAMES = ("127.0.0.1", "localhost")
INLINE_MEDIA = ("image/", "video/", "audio/")
SCRIPTABLE = frozenset({"image/svg+xml"})
FILE_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox; default-src 'none'"}
LONG_POLL_SECONDS = 25.0
MAX_UPLOAD_BYTES = 20 * 1024 * 1024

Handler = Callable[[web.Request], Awaitable[Any]]


def _json_route(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Wrap a handler's result as JSON; the emulator's refusals become 400."""

    async def route(request: web.Request) -> web.Response:
        try:
            return web.json_response(await handler(request))
        except EmulatorError as exc:
            return web.json_response({"error": str(exc)}, status=400)

    return route


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
        raise EmulatorError("body must be JSON") from exc
    if not isinstance(body, dict):
        raise EmulatorError("body must be a JSON object")
    return body


def _int(data: dict[str, Any] | Any, name: str) -> int:
    try:
        return int(data[name])
    except (KeyError, TypeError, ValueError) as exc:
        raise EmulatorError(f"field {name!r} must be an integer") from exc


def _sent(update: Update) -> dict[str, Any]:
    return {"update_id": update.update_id}


class ChatApi:
    """The page's API over one emulator state."""

    def __init__(
        self,
        state: BotApiState,
        roster: list[TestUser],
        status: StatusReader,
        stop: asyncio.Event,
        links: dict[str, str],
    ) -> None:
        self._state = state
        self._roster = roster
        self._status = status
        self._stop = stop
        self._links = links

    def register(self, app: web.Application) -> None:
        """Add the page, its static files and the /api routes."""
        app.router.add_get("/", self.index)
        app.router.add_static("/static/", STATIC_DIR)
        app.router.add_get("/api/files/{file_id}", self.file)
        for method, path, handler in (
            ("GET", "/api/config", self.config),
            ("GET", "/api/chats/{user_id}", self.chat),
            ("GET", "/api/changes", self.changes),
            ("POST", "/api/send", self.send),
            ("POST", "/api/press", self.press),
            ("POST", "/api/photo", self.photo),
            ("POST", "/api/pay", self.pay),
            ("POST", "/api/inline", self.inline_query),
            ("GET", "/api/inline/{query_id}", self.inline_results),
            ("POST", "/api/inline/choose", self.choose),
            ("GET", "/api/status/{user_id}", self.status),
        ):
            app.router.add_route(method, path, _json_route(handler))

    async def index(self, request: web.Request) -> web.FileResponse:
        """The page itself."""
        return web.FileResponse(STATIC_DIR / "index.html")

    async def config(self, request: web.Request) -> dict[str, Any]:
        """The test users, the bot and where the emulators listen."""
        bot = self._state.bot()
        return {
            "users": [u.to_json() for u in self._roster],
            "bot": {"id": bot.user.id, "name": bot.user.first_name, "username": bot.user.username},
            "links": self._links,
        }

    async def chat(self, request: web.Request) -> dict[str, Any]:
        """One user's chat with the bot."""
        user_id = _int(request.match_info, "user_id")
        self._state.user(user_id)
        return chat_view(self._state, user_id)

    async def changes(self, request: web.Request) -> dict[str, Any]:
        """Long-poll: answer once the change generation passes ``after`` (or after 25 s, or on stop)."""
        signal = self._state.changes
        after = _int(request.query, "after") if "after" in request.query else signal.generation
        if after == signal.generation and not self._stop.is_set():
            stopping = asyncio.ensure_future(self._stop.wait())
            changed = asyncio.ensure_future(signal.wait(after, LONG_POLL_SECONDS))
            _, pending = await asyncio.wait({stopping, changed}, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        return {"generation": signal.generation}

    async def send(self, request: web.Request) -> dict[str, Any]:
        """The user sends text (or a /command)."""
        data = await _body(request)
        text = str(data.get("text") or "").strip()
        return _sent(self._state.send_text(_int(data, "user_id"), text))

    async def press(self, request: web.Request) -> dict[str, Any]:
        """The user presses an inline button."""
        data = await _body(request)
        update = self._state.press_button(
            _int(data, "user_id"), _int(data, "message_id"), callback_data=str(data.get("callback_data"))
        )
        return _sent(update)

    async def pay(self, request: web.Request) -> dict[str, Any]:
        """The user pays an invoice with test Stars; the bot's pre-checkout answer decides the rest."""
        data = await _body(request)
        return _sent(self._state.pay_invoice(_int(data, "user_id"), _int(data, "message_id")))

    async def inline_query(self, request: web.Request) -> dict[str, Any]:
        """The user types ``@bot query`` in the composer: the bot gets an inline query."""
        data = await _body(request)
        update = self._state.send_inline_query(_int(data, "user_id"), str(data.get("query") or ""))
        return {"update_id": update.update_id, "query_id": update.payload["id"]}

    async def inline_results(self, request: web.Request) -> dict[str, Any]:
        """The bot's answer to an inline query (``answered`` false until it came)."""
        record = self._state.bot().inline_queries.get(request.match_info["query_id"])
        if record is None:
            raise EmulatorError("no such inline query")
        return inline_view(record)

    async def choose(self, request: web.Request) -> dict[str, Any]:
        """The user picks an inline result: it is sent via the bot into the chat."""
        data = await _body(request)
        message = self._state.choose_inline_result(
            _int(data, "user_id"), str(data.get("query_id") or ""), str(data.get("result_id") or "")
        )
        return {"message_id": message.message_id}

    async def photo(self, request: web.Request) -> dict[str, Any]:
        """The user sends a photo (multipart: user_id, caption?, file)."""
        fields, blob, name = await _read_photo(request)
        caption = fields.get("caption") or None
        update = self._state.send_photo(_int(fields, "user_id"), blob, caption=caption, file_name=name)
        return _sent(update)

    async def status(self, request: web.Request) -> dict[str, Any]:
        """The side panel: the user's balance and the programs' health."""
        return await self._status.snapshot(_int(request.match_info, "user_id"))

    async def file(self, request: web.Request) -> web.Response:
        """A stored file's bytes."""
        stored = self._state.files.find(request.match_info["file_id"])
        if stored is None:
            raise web.HTTPNotFound(text="no such file")
        mime = stored.mime_type or "application/octet-stream"
        if mime.startswith(INLINE_MEDIA) and mime not in SCRIPTABLE:
            return web.Response(body=stored.data, content_type=mime, headers=FILE_HEADERS)
        headers = {**FILE_HEADERS, "Content-Disposition": "attachment"}
        return web.Response(body=stored.data, content_type="application/octet-stream", headers=headers)


async def _read_photo(request: web.Request) -> tuple[dict[str, str], bytes, str]:
    if not request.content_type.startswith("multipart/"):
        raise EmulatorError("send the photo as multipart/form-data")
    return await read_multipart_file(request)


def create_chat_app(api: ChatApi, port: int) -> web.Application:
    """The web chat as an aiohttp application, answering only its own page on ``port``."""
    app = web.Application(client_max_size=MAX_UPLOAD_BYTES, middlewares=[_only_from_the_page(port)])
    api.register(app)
    return app


def _only_from_the_page(port: int) -> Callable[..., Awaitable[web.StreamResponse]]:
    hosts = {f"{name}:{port}" for name in LOCAL_NAMES}
    origins = {f"http://{host}" for host in hosts}

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.host not in hosts:
            return web.json_response({"error": f"Host {request.host!r} is not this chat"}, status=403)
        origin = request.headers.get("Origin")
        if request.method != "GET" and origin is not None and origin not in origins:
            return web.json_response({"error": f"requests from {origin!r} are refused"}, status=403)
        response: web.StreamResponse = await handler(request)
        return response

    return guard
