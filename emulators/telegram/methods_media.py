"""Bot API methods that send or fetch files: sendPhoto/Video/Audio/Voice/Document, sendMediaGroup, getFile.

A file may come as a multipart upload, as `attach://<part>`, as an http(s) URL (fetched like Telegram
does) or as the file_id of a stored file.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from .call import MethodCall, MethodTable
from .errors import BadRequest
from .files import MediaKind, StoredFile, media_payload
from .formatting import format_text
from .methods_messages import apply_edit, editable_message, is_inline, reply_target, send_and_render
from .params import Upload
from .validation import check_caption, check_reply_markup

__all__ = ["MEDIA_METHODS"]

_MAX_URL_BYTES = 50 * 1024 * 1024
_URL_FAILED = "failed to get HTTP URL content"
_GROUP_KINDS = frozenset({"photo", "video", "audio", "document"})
_EDIT_KINDS = frozenset({"photo", "video", "animation", "audio", "document"})
_INLINE_UPLOAD = "a new file can't be uploaded when an inline message is edited: use a file_id or an HTTP URL"


async def resolve_file(
    call: MethodCall, value: Any, kind: MediaKind, *, upload: Upload | None = None
) -> StoredFile:
    """Turn an input file reference into a stored file."""
    if upload is not None:
        return _store_upload(call, upload, kind)
    if not isinstance(value, str) or not value:
        raise BadRequest(f"there is no {kind} in the request")
    if value.startswith("attach://"):
        attached = call.params.uploads.get(value.removeprefix("attach://"))
        if attached is None:
            raise BadRequest("wrong file identifier/HTTP URL specified")
        return _store_upload(call, attached, kind)
    if value.startswith(("http://", "https://")):
        return await _fetch(call, value, kind)
    return call.state.files.get(value)


def _store_upload(call: MethodCall, upload: Upload, kind: MediaKind) -> StoredFile:
    if not upload.data:
        raise BadRequest("file must be non-empty")
    mime = upload.content_type if upload.content_type != "application/octet-stream" else None
    return call.state.files.put(upload.data, kind, file_name=upload.filename, mime_type=mime)


async def _fetch(call: MethodCall, url: str, kind: MediaKind) -> StoredFile:
    """Download a file sent by URL, as Telegram's servers would."""
    if call.http is None:
        raise BadRequest(_URL_FAILED)
    try:
        async with call.http.get(url, timeout=aiohttp.ClientTimeout(total=30)) as resp:
            if resp.status != 200:
                raise BadRequest(_URL_FAILED)
            data = await resp.content.read(_MAX_URL_BYTES + 1)
            mime = resp.content_type
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise BadRequest(_URL_FAILED) from exc
    if not data or len(data) > _MAX_URL_BYTES:
        raise BadRequest(_URL_FAILED)
    name = url.rsplit("/", 1)[-1].split("?", 1)[0] or None
    return call.state.files.put(data, kind, file_name=name, mime_type=mime)


def _caption(call: MethodCall) -> tuple[str | None, list[dict[str, Any]] | None]:
    caption = check_caption(call.params.get_str("caption"))
    if caption is None:
        return None, None
    mode = call.params.get_str("parse_mode")
    text, entities = format_text(caption, mode, call.params.get_json("caption_entities"))
    return check_caption(text), entities


async def _send_media(call: MethodCall, kind: MediaKind) -> dict[str, Any]:
    """The shared body of sendPhoto, sendVideo, sendAudio, sendVoice and sendDocument."""
    chat = call.chat()
    params = call.params
    stored = await resolve_file(call, params.raw(kind), kind, upload=params.uploads.get(kind))
    caption, entities = _caption(call)
    markup = check_reply_markup(params.get_json("reply_markup"))
    meta = {key: params.raw(key) for key in ("duration", "width", "height", "title", "performer")}
    payload = media_payload(stored, kind, meta)
    thumbnail = _thumbnail(call) if kind in ("video", "audio", "document") else None
    if thumbnail is not None:
        payload["thumbnail"] = media_payload(thumbnail, "photo")[0]
    message = call.bot.add_message(
        chat,
        call.bot.user,
        caption=caption,
        caption_entities=entities,
        reply_markup=markup,
        reply_to_message_id=reply_target(call, chat.id),
        content={kind: payload},
    )
    return send_and_render(call, message)


def _thumbnail(call: MethodCall) -> StoredFile | None:
    """The `thumbnail` of sendAudio/sendVideo/sendDocument: per the Bot API it "can only be uploaded as
    a new file" (multipart, or attach://<part>); anything else is ignored, as Telegram does."""
    params = call.params
    upload = params.uploads.get("thumbnail")
    value = params.raw("thumbnail")
    if upload is None and isinstance(value, str) and value.startswith("attach://"):
        upload = params.uploads.get(value.removeprefix("attach://"))
    return None if upload is None or not upload.data else _store_upload(call, upload, "photo")


async def send_photo(call: MethodCall) -> dict[str, Any]:
    """sendPhoto."""
    return await _send_media(call, "photo")


async def send_video(call: MethodCall) -> dict[str, Any]:
    """sendVideo."""
    return await _send_media(call, "video")


async def send_audio(call: MethodCall) -> dict[str, Any]:
    """sendAudio."""
    return await _send_media(call, "audio")


async def send_voice(call: MethodCall) -> dict[str, Any]:
    """sendVoice."""
    return await _send_media(call, "voice")


async def send_document(call: MethodCall) -> dict[str, Any]:
    """sendDocument."""
    return await _send_media(call, "document")


async def send_media_group(call: MethodCall) -> list[dict[str, Any]]:
    """sendMediaGroup: 2-10 photos/videos/audios/documents sharing one media_group_id."""
    chat = call.chat()
    media = call.params.get_json("media")
    if not isinstance(media, list) or not 2 <= len(media) <= 10:
        raise BadRequest("wrong number of media specified; must be between 2 and 10")
    items = [await _group_item(call, item) for item in media]
    reply_to = reply_target(call, chat.id)
    group_id = call.bot.new_media_group_id()
    results = []
    for kind, stored, caption, entities in items:
        message = call.bot.add_message(
            chat,
            call.bot.user,
            caption=caption,
            caption_entities=entities,
            reply_to_message_id=reply_to,
            content={kind: media_payload(stored, kind), "media_group_id": group_id},
        )
        results.append(send_and_render(call, message))
    return results


async def _group_item(
    call: MethodCall, item: Any
) -> tuple[MediaKind, StoredFile, str | None, list[dict[str, Any]] | None]:
    if not isinstance(item, dict) or item.get("type") not in _GROUP_KINDS:
        raise BadRequest("can't parse InputMedia: unsupported media type")
    kind = str(item["type"])
    stored = await resolve_file(call, item.get("media"), kind)
    caption = check_caption(item.get("caption"))
    entities = item.get("caption_entities")
    if caption is not None:
        caption, entities = format_text(caption, item.get("parse_mode"), entities)
    return kind, stored, caption, entities


async def edit_message_media(call: MethodCall) -> dict[str, Any] | bool:
    """editMessageMedia: a media message (or a text message, which gains the media) gets new media.

    An inline message (sent via the bot) cannot take a new upload, only a file_id or an HTTP URL.
    """
    message = editable_message(call)
    item = call.params.get_json("media")
    if not isinstance(item, dict) or item.get("type") not in _EDIT_KINDS:
        raise BadRequest("can't parse InputMedia: unsupported media type")
    value = item.get("media")
    if is_inline(message) and (call.params.uploads or str(value).startswith("attach://")):
        raise BadRequest(_INLINE_UPLOAD)
    kind = "video" if item["type"] == "animation" else str(item["type"])
    stored = await resolve_file(call, value, kind)
    caption = check_caption(item.get("caption"))
    entities = item.get("caption_entities")
    if caption is not None:
        caption, entities = format_text(caption, item.get("parse_mode"), entities)
    markup = check_reply_markup(call.params.get_json("reply_markup"), inline_only=True)
    return apply_edit(
        call,
        message,
        text=None,
        entities=None,
        caption=caption,
        caption_entities=entities,
        content={kind: media_payload(stored, kind)},
        reply_markup=markup,
    )


async def get_file(call: MethodCall) -> dict[str, Any]:
    """getFile: the File with the path to download it from."""
    file_id = call.params.get_str("file_id", required=True) or ""
    stored = call.state.files.find(file_id)
    if stored is None:
        raise BadRequest("invalid file_id")
    return stored.to_api()


MEDIA_METHODS: MethodTable = {
    "sendPhoto": send_photo,
    "sendVideo": send_video,
    "sendAudio": send_audio,
    "sendVoice": send_voice,
    "sendDocument": send_document,
    "sendMediaGroup": send_media_group,
    "editMessageMedia": edit_message_media,
    "getFile": get_file,
}
