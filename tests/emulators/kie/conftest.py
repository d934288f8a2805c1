"""Fixtures for the KIE emulator's family and golden tests: a frozen-clock emulator, a callback
receiver, and a raw HTTP caller (not our KIE client: the emulator is the oracle that checks it)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from emulators.kie import KieState, RunningEmulator, run_emulator
from tests.conftest import free_port as pick_port
from tests.emulators.kie_support import API_KEY, HMAC_KEY, CallbackReceiver, callback_receiver, make_state

Call = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture(name="state")
def _state() -> KieState:
    return make_state(credits=100_000.0, hmac_key=HMAC_KEY)


@pytest.fixture(name="emulator")
async def _emulator(state: KieState, free_port: int) -> AsyncIterator[RunningEmulator]:
    async with run_emulator(state, port=free_port) as running:
        yield running


@pytest.fixture(name="receiver")
async def _receiver() -> AsyncIterator[CallbackReceiver]:
    async with callback_receiver(pick_port()) as receiver:
        yield receiver


@pytest.fixture(name="call")
async def _call(emulator: RunningEmulator) -> AsyncIterator[Call]:
    """`await call("POST", "/api/v1/...", json=..., params=...)` → the JSON body (any HTTP status)."""
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {API_KEY}"}) as session:

        async def call(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
            async with session.request(method, emulator.url + path, **kwargs) as resp:
                body: dict[str, Any] = await resp.json(content_type=None)
                return body

        yield call
