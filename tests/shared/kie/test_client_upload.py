"""KieClient uploads to the upload host: multipart stream upload, URL upload, retry rules per body kind."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from shared.kie import KieProtocolError, KieServerError
from tests.shared.kie.conftest import API_KEY, ClientFactory
from tests.shared.kie.stub import KieStub, Reply, err

STREAM = "/api/file-stream-upload"
FROM_URL = "/api/file-url-upload"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8

# The endpoint pages' answer (kie-api.md §6).
UPLOADED = Reply(
    {
        "success": True,
        "code": 200,
        "msg": "File uploaded successfully",
        "data": {
            "fileName": "photo.png",
            "filePath": "images/user-uploads/photo.png",
            "downloadUrl": "https://tempfile.redpandaai.co/xxx/images/user-uploads/photo.png",
            "fileSize": 2056,
            "mimeType": "image/png",
            "uploadedAt": "2025-01-01T12:00:00.000Z",
        },
    }
)


async def _chunks(data: bytes, size: int = 300) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


class TestStreamUpload:
    """`upload_file_stream` sends multipart with file, uploadPath and fileName."""

    async def test_bytes_upload_sends_form_and_parses_answer(
        self, stub: KieStub, make_client: ClientFactory
    ) -> None:
        """The stub receives the exact bytes and fields; the answer becomes an UploadedFile."""
        stub.script(STREAM, UPLOADED)
        client = await make_client()
        uploaded = await client.upload_file_stream(PNG, "photo.png", "images/user-uploads")
        assert uploaded.download_url == "https://tempfile.redpandaai.co/xxx/images/user-uploads/photo.png"
        assert uploaded.file_size == 2056
        assert uploaded.mime_type == "image/png"
        assert uploaded.uploaded_at == datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
        seen = stub.hits(STREAM)[0]
        assert seen.form["file"] == {"filename": "photo.png", "content": PNG, "type": "image/png"}
        assert seen.form["uploadPath"] == "images/user-uploads"
        assert seen.form["fileName"] == "photo.png"
        assert seen.headers["Authorization"] == f"Bearer {API_KEY}"

    async def test_async_iterable_is_streamed(self, stub: KieStub, make_client: ClientFactory) -> None:
        """An async iterable of chunks arrives whole."""
        stub.script(STREAM, UPLOADED)
        client = await make_client()
        await client.upload_file_stream(_chunks(PNG), "photo.png", "images/user-uploads")
        assert stub.hits(STREAM)[0].form["file"]["content"] == PNG

    async def test_bytes_upload_is_retried_on_500(self, stub: KieStub, make_client: ClientFactory) -> None:
        """Bytes can be sent again, so a 500 is retried."""
        stub.script(STREAM, err(500), UPLOADED)
        client = await make_client()
        await client.upload_file_stream(PNG, "photo.png", "images/user-uploads")
        assert len(stub.hits(STREAM)) == 2

    async def test_stream_upload_is_not_retried_after_sending(
        self, stub: KieStub, make_client: ClientFactory
    ) -> None:
        """A consumed stream cannot be replayed, so a 500 is raised after one attempt."""
        stub.script(STREAM, err(500), UPLOADED)
        client = await make_client()
        with pytest.raises(KieServerError):
            await client.upload_file_stream(_chunks(PNG), "photo.png", "images/user-uploads")
        assert len(stub.hits(STREAM)) == 1

    async def test_older_answer_shape_falls_back_to_file_url(
        self, stub: KieStub, make_client: ClientFactory
    ) -> None:
        """The quickstart's older shape (fileUrl, uploadPath, uploadTime) is understood."""
        old = {"fileId": "f1", "fileName": "a.png", "uploadPath": "p", "fileUrl": "https://t/p/a.png"}
        stub.script(STREAM, Reply({"success": True, "code": 200, "msg": "ok", "data": old}))
        client = await make_client()
        uploaded = await client.upload_file_stream(PNG, "a.png", "p")
        assert uploaded.download_url == "https://t/p/a.png"
        assert uploaded.file_path == "p"

    async def test_answer_without_url_is_protocol_error(
        self, stub: KieStub, make_client: ClientFactory
    ) -> None:
        """An upload answer with no download URL is a KieProtocolError."""
        stub.script(STREAM, Reply({"success": True, "code": 200, "msg": "ok", "data": {"fileName": "a"}}))
        client = await make_client()
        with pytest.raises(KieProtocolError):
            await client.upload_file_stream(PNG, "a.png", "p")

    @pytest.mark.parametrize("path", ["", "/images", "images/"])
    async def test_bad_upload_path_is_rejected_locally(self, make_client: ClientFactory, path: str) -> None:
        """uploadPath must be non-empty without leading or trailing slash; checked before sending."""
        client = await make_client()
        with pytest.raises(ValueError):
            await client.upload_file_stream(PNG, "a.png", path)


class TestUrlUpload:
    """`upload_from_url` asks the upload host to fetch a public URL."""

    async def test_sends_file_url_and_path(self, stub: KieStub, make_client: ClientFactory) -> None:
        """The JSON body names fileUrl, uploadPath and fileName; the answer is parsed."""
        stub.script(FROM_URL, UPLOADED)
        client = await make_client()
        uploaded = await client.upload_from_url("https://example.com/a.png", "images/x", "a.png")
        assert uploaded.file_name == "photo.png"
        assert stub.hits(FROM_URL)[0].json() == {
            "fileUrl": "https://example.com/a.png",
            "uploadPath": "images/x",
            "fileName": "a.png",
        }

    async def test_telegram_file_url_is_refused(self, stub: KieStub, make_client: ClientFactory) -> None:
        """A Telegram file URL embeds the bot token, so it is refused before anything is sent."""
        client = await make_client()
        with pytest.raises(ValueError):
            await client.upload_from_url("https://api.telegram.org/file/bot123:ABC/photos/a.jpg", "images/x")
        assert stub.hits(FROM_URL) == []
