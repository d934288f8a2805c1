"""KIE emulator test helpers: state factory, client, callback receiver, media checks."""

from __future__ import annotations

import struct
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from emulators.kie import CallbackPolicy, EmulatorClock, EmulatorConfig, KieState, RateLimits
from emulators.kie.media import iter_boxes
from shared.kie import KieClient, KieTimeouts, RetryPolicy

API_KEY = "kie-emulator-test-key-0001"
OTHER_KEY = "kie-emulator-test-key-0002"
HMAC_KEY = "emulator-webhook-hmac-key"
FAST_CALLBACKS = CallbackPolicy(timeout=2.0, retry_delays=(0.05, 0.05, 0.05), duplicate_delay=0.05)
FAST_TIMEOUTS = KieTimeouts(connect=1.0, read=5.0, total=10.0, upload_total=10.0)
PROMPT = "a red fox walking through fresh snow at dawn"


def make_state(*, credits: float = 1000.0, **overrides: Any) -> KieState:
    """A state on a frozen clock with two keys, fast callbacks and no rate limits (unless overridden)."""
    options: dict[str, Any] = {
        "api_keys": {API_KEY: credits, OTHER_KEY: credits},
        "callbacks": FAST_CALLBACKS,
        "rate_limits": RateLimits(None, 10.0, None),
    }
    options.update(overrides)
    return KieState(EmulatorConfig(**options), clock=EmulatorClock(frozen=True))


@asynccontextmanager
async def kie_client(
    api_url: str, upload_url: str | None = None, *, api_key: str = API_KEY, attempts: int = 4
) -> AsyncIterator[KieClient]:
    """Our own KIE client pointed at the emulator, with fast retries."""
    client = KieClient(
        api_base_url=api_url,
        upload_base_url=upload_url or api_url,
        api_key=api_key,
        timeouts=FAST_TIMEOUTS,
        retry_policy=RetryPolicy(max_attempts=attempts, base_delay=0.01, max_delay=0.02),
    )
    async with client:
        yield client


@dataclass
class Received:
    """One callback the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class CallbackReceiver:
    """A tiny HTTP server standing in for our webhook: answers from `statuses`, then 200."""

    port: int
    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The callback URL to give createTask."""
        return f"http://127.0.0.1:{self.port}/kie/callback/job-1?t=token"

    async def handle(self, request: web.Request) -> web.Response:
        """Record the callback and answer the next scripted status."""
        self.received.append(Received(request.path_qs, dict(request.headers), await request.read()))
        status = self.statuses.pop(0) if self.statuses else 200
        return web.json_response({"code": 200, "msg": "success"}, status=status)


@asynccontextmanager
async def callback_receiver(port: int, statuses: list[int] | None = None) -> AsyncIterator[CallbackReceiver]:
    """Serve a CallbackReceiver on 127.0.0.1:port for the block."""
    receiver = CallbackReceiver(port, list(statuses or []))
    app = web.Application()
    app.router.add_post("/kie/callback/{job}", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
        yield receiver
    finally:
        await runner.cleanup()


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Every chunk of a PNG as (type, data), checking the signature and each CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, position = [], 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        payload = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + payload) & 0xFFFFFFFF, f"bad CRC in {kind!r}"
        chunks.append((kind, payload))
        position += 12 + length
    return chunks


def mp4_box_types(data: bytes) -> list[bytes]:
    """The top-level box types of an MP4 (raises on a malformed box)."""
    return [kind for kind, _, _ in iter_boxes(data)]


def find_box(data: bytes, path: list[bytes]) -> bytes:
    """The payload of the box at `path` (e.g. [b"moov", b"trak", b"tkhd"])."""
    start, end = 0, len(data)
    for depth, wanted in enumerate(path):
        for kind, body_start, body_end in iter_boxes(data, start, end):
            if kind == wanted:
                start, end = body_start, body_end
                break
        else:
            raise AssertionError(f"no {wanted!r} at depth {depth}")
    return data[start:end]
