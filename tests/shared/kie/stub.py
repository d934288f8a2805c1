"""A scripted stand-in for KIE at the HTTP boundary, for the client's own tests.

Not an emulator (that lives in emulators/kie/): each path answers from a script of `Reply`s, in order,
repeating the last one, and every request is recorded so tests can count attempts and read headers.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a JSON body (or raw bytes), an HTTP status, and a delay before answering."""

    body: Any = None
    status: int = 200
    raw: bytes | None = None
    delay: float = 0.0
    content_type: str = "text/html"


def ok(data: Any) -> Reply:
    """A KIE success envelope around `data`."""
    return Reply({"code": 200, "msg": "success", "data": data})


def err(code: int, msg: str = "error", http_status: int = 200) -> Reply:
    """A KIE error envelope, by default inside an HTTP 200 as KIE does in practice."""
    return Reply({"code": code, "msg": msg, "data": None}, status=http_status)


@dataclass
class Seen:
    """One request the stub received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""
    form: dict[str, Any] = field(default_factory=dict)

    def json(self) -> Any:
        """The request body decoded as JSON."""
        return json.loads(self.body)


class KieStub:
    """An aiohttp server on 127.0.0.1 answering every path from its script."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.seen: list[Seen] = []
        self._script: dict[str, list[Reply]] = {}
        self._runner: web.AppRunner | None = None

    def script(self, path: str, *replies: Reply) -> None:
        """Answer `path` with `replies` in order, then keep repeating the last one."""
        self._script[path] = list(replies)

    def hits(self, path: str) -> list[Seen]:
        """The requests received on `path`."""
        return [s for s in self.seen if s.path == path]

    async def start(self) -> None:
        """Bind 127.0.0.1:port and start serving."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        seen = Seen(request.method, request.path, dict(request.query), dict(request.headers))
        if request.content_type == "multipart/form-data":
            seen.form = await _read_form(request)
        else:
            seen.body = await request.read()
        self.seen.append(seen)
        replies = self._script.get(request.path)
        if not replies:
            return web.Response(status=404, text="no script for this path")
        reply = replies.pop(0) if len(replies) > 1 else replies[0]
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.raw is not None:
            return web.Response(status=reply.status, body=reply.raw, content_type=reply.content_type)
        return web.json_response(reply.body, status=reply.status)


async def _read_form(request: web.Request) -> dict[str, Any]:
    form: dict[str, Any] = {}
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        content = await part.read()
        if part.filename is not None:
            kind = part.headers.get("Content-Type")
            form[part.name] = {"filename": part.filename, "content": bytes(content), "type": kind}
        else:
            form[part.name] = bytes(content).decode()
    return form
