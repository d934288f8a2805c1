"""The upload host's routes (kie-api.md §6): stream (multipart), base64 and URL uploads.

Answers add `success` to the envelope and return both documented `data` shapes. URL uploads fetch
only our own files or hosts on the allow-list (loopback by default): the emulator stays offline.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import BodyPartReader, web

from .errors import KieFailure
from .exchange import CallInfo, exchange
from .state import KieState

__all__ = ["HTTP_KEY", "URL_UPLOAD_HOSTS", "register_upload_routes"]

HTTP_KEY = web.AppKey("kie_emulator_http", aiohttp.ClientSession)
URL_UPLOAD_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_FETCH_TIMEOUT = aiohttp.ClientTimeout(total=30)


async def _stream(request: web.Request, state: KieState, key: str, info: CallInfo) -> Any:
    if not request.content_type.startswith("multipart/"):
        raise KieFailure(400, "multipart/form-data with a file part is required")
    fields: dict[str, str] = {}
    data, original = b"", None
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "file":
            data, original = bytes(await part.read()), part.filename
        elif part.name:
            fields[part.name] = await part.text()
    return state.store_upload(data, fields.get("uploadPath"), fields.get("fileName") or original)


async def _json_fields(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.read() or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise KieFailure(400, "Request body must be valid JSON") from exc
    if not isinstance(body, dict):
        raise KieFailure(400, "Request body must be a JSON object")
    return body


async def _base64(request: web.Request, state: KieState, key: str, info: CallInfo) -> Any:
    body = await _json_fields(request)
    raw = body.get("base64Data")
    if not isinstance(raw, str) or not raw:
        raise KieFailure(400, "base64Data is required")
    if raw.startswith("data:") and "," in raw:
        raw = raw.split(",", 1)[1]
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KieFailure(400, "base64Data is not valid base64") from exc
    return state.store_upload(data, body.get("uploadPath"), body.get("fileName"))


async def _from_url(request: web.Request, state: KieState, key: str, info: CallInfo) -> Any:
    body = await _json_fields(request)
    url = body.get("fileUrl")
    if not isinstance(url, str) or not url:
        raise KieFailure(400, "fileUrl is required")
    own = state.files.find_url(url, (state.api_url, state.upload_url))
    data = own.data if own is not None else await _fetch(request, url)
    name = body.get("fileName") or urlsplit(url).path.rsplit("/", 1)[-1] or None
    return state.store_upload(data, body.get("uploadPath"), name)


async def _fetch(request: web.Request, url: str) -> bytes:
    """Download an allowed URL (30 s, as KIE documents); 400 when it cannot be fetched."""
    if urlsplit(url).hostname not in URL_UPLOAD_HOSTS:
        raise KieFailure(400, "fileUrl could not be downloaded (host not reachable from the emulator)")
    try:
        async with request.app[HTTP_KEY].get(url, timeout=_FETCH_TIMEOUT) as resp:
            if resp.status != 200:
                raise KieFailure(400, f"fileUrl could not be downloaded (HTTP {resp.status})")
            return await resp.read()
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise KieFailure(400, "fileUrl could not be downloaded") from exc


async def stream_upload(request: web.Request) -> web.Response:
    """POST /api/file-stream-upload."""
    return await exchange(request, "upload", _stream, upload=True)


async def base64_upload(request: web.Request) -> web.Response:
    """POST /api/file-base64-upload."""
    return await exchange(request, "upload", _base64, upload=True)


async def url_upload(request: web.Request) -> web.Response:
    """POST /api/file-url-upload."""
    return await exchange(request, "upload", _from_url, upload=True)


def register_upload_routes(app: web.Application) -> None:
    """Add the three upload routes."""
    app.router.add_post("/api/file-stream-upload", stream_upload)
    app.router.add_post("/api/file-base64-upload", base64_upload)
    app.router.add_post("/api/file-url-upload", url_upload)
