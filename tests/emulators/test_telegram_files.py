"""File uploads (multipart, URL, file_id), getFile and downloads."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from aiohttp import web

from emulators.telegram import BotApiState, RunningEmulator
from tests.conftest import free_port

from .conftest import TOKEN
from .images import png


async def upload(
    http: aiohttp.ClientSession,
    emulator: RunningEmulator,
    method: str,
    fields: dict[str, str],
    files: dict[str, bytes],
) -> dict[str, Any]:
    """POST multipart form data like python-telegram-bot does."""
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, data in files.items():
        form.add_field(name, data, filename=f"{name}.bin", content_type="application/octet-stream")
    async with http.post(f"{emulator.url}/bot{TOKEN}/{method}", data=form) as resp:
        return dict(await resp.json())


async def call(
    http: aiohttp.ClientSession, emulator: RunningEmulator, method: str, **params: Any
) -> dict[str, Any]:
    """POST JSON to a Bot API method."""
    async with http.post(f"{emulator.url}/bot{TOKEN}/{method}", json=params) as resp:
        return dict(await resp.json())


class TestUploads:
    async def test_multipart_photo_round_trips_through_get_file(
        self, state: BotApiState, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """An uploaded photo gets a file_id; getFile gives a path that serves the same bytes."""
        user = state.create_user()
        image = png(40, 30)
        body = await upload(
            http, emulator, "sendPhoto", {"chat_id": str(user.id), "caption": "pic"}, {"photo": image}
        )
        [size] = body["result"]["photo"]
        assert (size["width"], size["height"], size["file_size"]) == (40, 30, len(image))
        assert body["result"]["caption"] == "pic"
        info = await call(http, emulator, "getFile", file_id=size["file_id"])
        path = info["result"]["file_path"]
        async with http.get(f"{emulator.url}/file/bot{TOKEN}/{path}") as resp:
            assert resp.status == 200
            assert await resp.read() == image
        async with http.get(f"{emulator.url}/file/bot{TOKEN}/photos/none.jpg") as resp:
            assert resp.status == 404

    async def test_resend_by_file_id_and_unknown_file_id(
        self, state: BotApiState, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """A stored file_id can be sent again; an unknown one is refused."""
        user = state.create_user()
        first = await upload(http, emulator, "sendDocument", {"chat_id": str(user.id)}, {"document": b"PDF1"})
        file_id = first["result"]["document"]["file_id"]
        again = await call(http, emulator, "sendDocument", chat_id=user.id, document=file_id)
        assert again["result"]["document"]["file_unique_id"] == first["result"]["document"]["file_unique_id"]
        bad = await call(http, emulator, "sendPhoto", chat_id=user.id, photo="nope")
        assert bad["description"] == "Bad Request: wrong file identifier/HTTP URL specified"
        missing = await call(http, emulator, "getFile", file_id="nope")
        assert missing["description"] == "Bad Request: invalid file_id"

    async def test_audio_thumbnail_is_an_uploaded_photo_size(
        self, state: BotApiState, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """sendAudio's `thumbnail` (uploaded, or attach://) becomes Audio.thumbnail; a file_id is ignored."""
        user = state.create_user()
        fields = {"chat_id": str(user.id), "title": "Night Drive", "thumbnail": "attach://cover"}
        body = await upload(http, emulator, "sendAudio", fields, {"audio": b"ID3" * 10, "cover": png(64, 48)})
        audio = body["result"]["audio"]
        assert audio["title"] == "Night Drive"
        assert (audio["thumbnail"]["width"], audio["thumbnail"]["height"]) == (64, 48)
        fields = {"chat_id": str(user.id), "thumbnail": audio["thumbnail"]["file_id"]}
        again = await upload(http, emulator, "sendAudio", fields, {"audio": b"ID3" * 10})
        assert "thumbnail" not in again["result"]["audio"]

    async def test_send_by_url_fetches_the_file(
        self, state: BotApiState, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """A URL is downloaded like Telegram does; an unreachable one fails."""
        image = png(8, 8)
        app = web.Application()

        async def serve_image(_: web.Request) -> web.Response:
            return web.Response(body=image, content_type="image/png")

        app.router.add_get("/img.png", serve_image)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            user = state.create_user()
            body = await call(
                http, emulator, "sendVideo", chat_id=user.id, video=f"http://127.0.0.1:{port}/img.png"
            )
            stored = state.files.get(body["result"]["video"]["file_id"])
            assert stored.data == image
            broken = await call(
                http, emulator, "sendPhoto", chat_id=user.id, photo=f"http://127.0.0.1:{port}/x"
            )
            assert broken["description"] == "Bad Request: failed to get HTTP URL content"
        finally:
            await runner.cleanup()

    async def test_media_group_with_attached_files(
        self, state: BotApiState, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """sendMediaGroup takes attach:// parts and answers messages sharing a media_group_id."""
        user = state.create_user()
        media = [
            {"type": "photo", "media": "attach://one", "caption": "first"},
            {"type": "photo", "media": "attach://two"},
        ]
        fields = {"chat_id": str(user.id), "media": json.dumps(media)}
        body = await upload(http, emulator, "sendMediaGroup", fields, {"one": png(2, 2), "two": png(3, 3)})
        messages = body["result"]
        assert len(messages) == 2
        assert messages[0]["media_group_id"] == messages[1]["media_group_id"]
        assert messages[0]["caption"] == "first"
        single = await call(http, emulator, "sendMediaGroup", chat_id=user.id, media=media[:1])
        assert single["ok"] is False
