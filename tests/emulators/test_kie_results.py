"""KIE emulator results and uploads: valid PNG/MP4/MP3/WAV files, served back, and upload round trips."""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import AsyncIterator

import aiohttp
import pytest

from emulators.kie import AudioFormat, KieState, RunningEmulator, run_emulator
from emulators.kie.media import SANDBOX_LABEL
from shared.kie import KieClient
from tests.conftest import free_port as pick_port
from tests.emulators.kie_support import (
    API_KEY,
    PROMPT,
    find_box,
    kie_client,
    make_state,
    mp4_box_types,
    png_chunks,
)

VOICE_MODEL = "elevenlabs/text-to-speech-turbo-2-5"


@pytest.fixture(name="state")
def _state() -> KieState:
    return make_state()


@pytest.fixture(name="emulator")
async def _emulator(state: KieState, free_port: int) -> AsyncIterator[RunningEmulator]:
    async with run_emulator(state, port=free_port, upload_port=pick_port()) as running:
        yield running


@pytest.fixture(name="client")
async def _client(emulator: RunningEmulator) -> AsyncIterator[KieClient]:
    async with kie_client(emulator.url, emulator.upload_url) as client:
        yield client


async def _result(client: KieClient, state: KieState, model: str, params: dict[str, object]) -> bytes:
    task_id = await client.create_task(model, params)
    state.complete_task(task_id)
    url = (await client.record_info(task_id)).result_urls[0]
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        assert resp.status == 200
        return await resp.read()


class TestResultFiles:
    async def test_image_is_a_valid_png_marked_as_sandbox(self, client: KieClient, state: KieState) -> None:
        """A picture result is a PNG with a good IHDR, CRCs, decodable pixels and the prompt in tEXt."""
        data = await _result(client, state, "nano-banana-2", {"prompt": PROMPT, "aspect_ratio": "16:9"})
        chunks = png_chunks(data)
        assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
        width, height, depth, color = struct.unpack(">IIBB", chunks[0][1][:10])
        assert (width, height, depth, color) == (384, 216, 8, 2)
        pixels = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
        assert len(pixels) == height * (1 + 3 * width)
        text = b"".join(body for kind, body in chunks if kind == b"tEXt").decode("latin-1")
        assert SANDBOX_LABEL in text and PROMPT in text and "16:9" in text

    async def test_video_is_a_valid_mp4(self, client: KieClient, state: KieState) -> None:
        """A clip result is an MP4: ftyp first, moov with an avc1/avcC track, then mdat."""
        data = await _result(client, state, "wan/2-6-text-to-video", {"prompt": PROMPT})
        assert data[4:8] == b"ftyp"
        assert mp4_box_types(data) == [b"ftyp", b"moov", b"free", b"mdat"]
        stsd = find_box(data, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd"])
        assert b"avc1" in stsd and b"avcC" in stsd
        assert PROMPT.encode() in find_box(data, [b"free"])
        assert len(data) < 64 * 1024

    async def test_audio_is_an_mp3_with_tags(self, client: KieClient, state: KieState) -> None:
        """A speech result is an MP3: an ID3v2 tag carrying the text, then MPEG-1 Layer III frames."""
        params = {"text": "hello there", "voice": "EkK5I93UQWFDigLMpZcX"}
        data = await _result(client, state, VOICE_MODEL, params)
        assert data[:3] == b"ID3"
        size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]
        frame = data[10 + size :]
        assert frame[0] == 0xFF and frame[1] & 0xE0 == 0xE0
        assert b"hello there" in data[: 10 + size]

    async def test_audio_can_be_wav(self, free_port: int) -> None:
        """With audio_format=wav the result is a RIFF/WAVE PCM file."""
        state = make_state(audio_format=AudioFormat.WAV)
        async with run_emulator(state, port=free_port) as emulator, kie_client(emulator.url) as client:
            params = {"text": "hi", "voice": "EkK5I93UQWFDigLMpZcX"}
            data = await _result(client, state, VOICE_MODEL, params)
        assert data[:4] == b"RIFF" and data[8:12] == b"WAVE" and data[12:16] == b"fmt "
        assert struct.unpack("<HH", data[20:24]) == (1, 1)


class TestUploads:
    async def test_stream_upload_round_trip(self, client: KieClient, emulator: RunningEmulator) -> None:
        """Our client's stream upload returns a downloadUrl on the upload host serving the same bytes."""
        blob = b"\x89PNG\r\n\x1a\n" + b"photo-bytes" * 50
        uploaded = await client.upload_file_stream(blob, "photo.png", "images/user-uploads")
        assert uploaded.download_url.startswith(emulator.upload_url)
        assert (uploaded.file_name, uploaded.file_size, uploaded.mime_type) == (
            "photo.png",
            len(blob),
            "image/png",
        )
        async with aiohttp.ClientSession() as http, http.get(uploaded.download_url) as resp:
            assert await resp.read() == blob

    async def test_uploaded_url_is_accepted_as_model_input(self, client: KieClient, state: KieState) -> None:
        """An upload's URL passes as image input of an edit model."""
        uploaded = await client.upload_file_stream(b"\xff\xd8\xff jpeg", "in.jpg", "images/user-uploads")
        task_id = await client.create_task(
            "google/nano-banana-edit", {"prompt": PROMPT, "image_urls": [uploaded.download_url]}
        )
        assert state.tasks.get(task_id).input["image_urls"] == [uploaded.download_url]

    async def test_url_upload_copies_one_of_our_files(self, client: KieClient) -> None:
        """file-url-upload fetches an emulator-hosted file and stores a copy."""
        first = await client.upload_file_stream(b"abc", "a.txt", "docs")
        copy = await client.upload_from_url(first.download_url, "copies", "b.txt")
        async with aiohttp.ClientSession() as http, http.get(copy.download_url) as resp:
            assert await resp.read() == b"abc"

    async def test_base64_upload(self, emulator: RunningEmulator) -> None:
        """file-base64-upload takes a data URL and answers with success and downloadUrl."""
        body = {"base64Data": "data:text/plain;base64," + base64.b64encode(b"hi").decode(), "uploadPath": "x"}
        headers = {"Authorization": f"Bearer {API_KEY}"}
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"{emulator.upload_url}/api/file-base64-upload", json=body, headers=headers
            ) as resp:
                answer = await resp.json()
            assert answer["success"] is True and answer["code"] == 200
            async with http.get(answer["data"]["downloadUrl"]) as resp:
                assert await resp.read() == b"hi"

    async def test_upload_needs_auth(self, emulator: RunningEmulator) -> None:
        """The upload host rejects a missing key with code 401 and success false."""
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{emulator.upload_url}/api/file-base64-upload", json={}) as resp,
        ):
            answer = await resp.json()
        assert (answer["success"], answer["code"]) == (False, 401)
