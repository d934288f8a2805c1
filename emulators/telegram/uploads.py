"""Reading one uploaded file from a multipart form: shared by the control API and the sandbox chat."""

from __future__ import annotations

from aiohttp import BodyPartReader, web

from .errors import EmulatorError

__all__ = ["read_multipart_file"]


async def read_multipart_file(request: web.Request) -> tuple[dict[str, str], bytes, str]:
    """The form's text fields, the bytes of its one file part and that file's name."""
    fields: dict[str, str] = {}
    blob, name = b"", "photo.jpg"
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.filename is not None:
            blob, name = bytes(await part.read()), part.filename
        elif part.name:
            fields[part.name] = await part.text()
    if not blob:
        raise EmulatorError("missing file part")
    return fields, blob, name
