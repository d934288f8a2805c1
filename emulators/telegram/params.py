"""Bot API request parameters, read the way Telegram reads them.

Telegram accepts parameters as a query string, as a JSON body, as a urlencoded form or as multipart
form data. In the non-JSON forms every value is a string and objects/arrays are JSON-encoded strings
(that is how python-telegram-bot sends them); the typed getters below accept both shapes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

from .errors import BadRequest

__all__ = ["Params", "Upload", "read_params"]


@dataclass(frozen=True)
class Upload:
    """A file sent as a multipart part."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class Params:
    """The parameters of one Bot API call."""

    values: dict[str, Any] = field(default_factory=dict)
    uploads: dict[str, Upload] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        """Whether the parameter was sent (uploads count)."""
        return self.values.get(name) not in (None, "") or name in self.uploads

    def raw(self, name: str) -> Any:
        """The value as sent, or None."""
        return self.values.get(name)

    def get_str(self, name: str, *, required: bool = False) -> str | None:
        """A string parameter; a missing required one is 'Bad Request: <name> is empty'."""
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise BadRequest(f"{name} is empty")
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def get_int(self, name: str, *, required: bool = False) -> int | None:
        """An integer parameter."""
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise BadRequest(f"{name} is empty")
            return None
        if isinstance(value, bool):
            raise BadRequest(f"invalid {name} specified")
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise BadRequest(f"invalid {name} specified") from exc

    def get_float(self, name: str) -> float | None:
        """A number parameter."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise BadRequest(f"invalid {name} specified") from exc

    def get_bool(self, name: str, *, default: bool = False) -> bool:
        """A boolean parameter ('true'/'false', 1/0 or JSON booleans)."""
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("true", "1", "yes")

    def get_json(self, name: str) -> Any:
        """An object or array parameter, JSON-decoded when it came as a string."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError as exc:
            raise BadRequest(f"can't parse {name} JSON object") from exc

    def recordable(self) -> dict[str, Any]:
        """A JSON-safe copy for the call record; uploads appear as their name and size."""
        data: dict[str, Any] = {}
        for name, value in self.values.items():
            data[name] = _decode_if_json(value)
        for name, upload in self.uploads.items():
            data[name] = {"upload": upload.filename, "size": len(upload.data)}
        return data


def _decode_if_json(value: Any) -> Any:
    """Show JSON-encoded objects/arrays decoded in the record, leave other strings alone."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


async def read_params(request: web.Request) -> Params:
    """Collect a call's parameters from the query string and whichever body the client sent."""
    params = Params(values=dict(request.query))
    if request.method != "POST" or not request.body_exists:
        return params
    ctype = request.content_type
    if ctype == "application/json":
        await _read_json(request, params)
    elif ctype.startswith("multipart/"):
        await _read_multipart(request, params)
    else:
        form = await request.post()
        params.values.update({key: value for key, value in form.items() if isinstance(value, str)})
    return params


async def _read_json(request: web.Request, params: Params) -> None:
    """A JSON body must be an object."""
    try:
        body = await request.json()
    except ValueError as exc:
        raise BadRequest("can't parse JSON encoded request body") from exc
    if not isinstance(body, dict):
        raise BadRequest("JSON object expected")
    params.values.update(body)


async def _read_multipart(request: web.Request, params: Params) -> None:
    """Text parts become values; parts with a filename become uploads."""
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        data = await part.read(decode=True)
        if part.filename is not None:
            ctype = part.headers.get("Content-Type", "application/octet-stream")
            params.uploads[part.name] = Upload(part.filename, ctype, bytes(data))
        else:
            params.values[part.name] = bytes(data).decode("utf-8")
