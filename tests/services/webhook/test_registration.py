"""The leader's webhook registration against the Bot API emulator: a rotated secret is registered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from emulators.telegram import BotApiState, RunningEmulator
from emulators.telegram import run_emulator as run_telegram
from services.webhook.registration import WebhookRegistrar
from shared.telegram.botapi import BotApi
from tests.conftest import free_port

TOKEN = "424242:registration-test-token-AAAAAAAAAAAAAAA"
URL = "https://bot.example.org/telegram/webhook"


@pytest.fixture(name="emulator")
async def _emulator() -> AsyncIterator[RunningEmulator]:
    async with run_telegram(BotApiState([TOKEN]), port=free_port()) as emulator:
        yield emulator


async def register_once(emulator: RunningEmulator, secret: str) -> None:
    """Run one registrar (one process's) for its first check, as a new leader term does."""
    async with aiohttp.ClientSession() as session:
        registrar = WebhookRegistrar(BotApi(session, emulator.url, TOKEN), URL, secret, interval=60)
        duty = asyncio.create_task(registrar(1))
        for _ in range(100):
            webhook = emulator.state.bot(TOKEN).webhook
            if webhook is not None and webhook.secret_token == secret:
                break
            await asyncio.sleep(0.05)
        duty.cancel()
        await asyncio.gather(duty, return_exceptions=True)


class TestWebhookRegistrar:
    async def test_a_rotated_secret_is_registered(self, emulator: RunningEmulator) -> None:
        """A process started with a new secret re-registers the same URL with it."""
        old, new = "a" * 40, "b" * 40
        await register_once(emulator, old)
        await register_once(emulator, new)
        webhook = emulator.state.bot(TOKEN).webhook
        assert webhook is not None and (webhook.url, webhook.secret_token) == (URL, new)
