"""Fixtures for the Telegram emulator tests: a running emulator and an HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from emulators.telegram import BotApiState, RunningEmulator, run_emulator

TOKEN = "111222333:emulator-tests-token-AAAAAAAAAAAAAAAAAA"


@pytest.fixture(name="state")
def _state() -> BotApiState:
    return BotApiState([TOKEN])


@pytest.fixture(name="emulator")
async def _emulator(state: BotApiState, free_port: int) -> AsyncIterator[RunningEmulator]:
    async with run_emulator(state, port=free_port) as running:
        yield running


@pytest.fixture(name="http")
async def _http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
