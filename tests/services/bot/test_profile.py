"""The bot profile duty: published once per fingerprint, retried while Telegram refuses it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
import redis.asyncio as aioredis

from emulators.telegram import BotApiState
from emulators.telegram import run_emulator as run_telegram
from emulators.telegram.faults import FaultKind, FaultRule
from services.bot.profile import ProfilePublisher, bot_profile
from shared.chat.texts import Texts
from shared.keys import Keys
from shared.telegram.botapi import BotApi
from tests.conftest import free_port

TOKEN = "777888999:profile-test-token-AAAAAAAAAAAAAAAAAAA"


@dataclass
class Setup:
    telegram: BotApiState
    api: BotApi
    keys: Keys
    redis: aioredis.Redis

    def publisher(self) -> ProfilePublisher:
        calls = bot_profile(Texts())
        return ProfilePublisher(self.api, self.redis, self.keys, calls, first_retry=0.01, max_retry=0.05)


@pytest.fixture(name="setup")
async def _setup(redis_client: aioredis.Redis, key_prefix: str) -> AsyncIterator[Setup]:
    telegram = BotApiState([TOKEN])
    async with run_telegram(telegram, port=free_port()) as emulator, aiohttp.ClientSession() as session:
        yield Setup(telegram, BotApi(session, emulator.url, TOKEN), Keys(key_prefix), redis_client)


class TestProfilePublisher:
    async def test_commands_in_both_languages_and_the_menu_button(self, setup: Setup) -> None:
        """One run sets the English (default) and Russian command menus and the commands menu button."""
        await asyncio.wait_for(setup.publisher()(1), 10)
        calls = setup.telegram.calls_of("setMyCommands", ok=True)
        assert {call.params.get("language_code") for call in calls} == {None, "ru"}
        assert len(setup.telegram.calls_of("setChatMenuButton", ok=True)) == 1

    async def test_published_once_per_fingerprint(self, setup: Setup) -> None:
        """A later term (or another worker) with the same profile makes no Bot API call."""
        await asyncio.wait_for(setup.publisher()(1), 10)
        before = len(setup.telegram.calls_of())
        await asyncio.wait_for(setup.publisher()(2), 10)
        assert len(setup.telegram.calls_of()) == before

    async def test_refusals_are_retried_until_accepted(self, setup: Setup) -> None:
        """Three refused setMyCommands calls are retried; the profile is published after them."""
        setup.telegram.faults.add(FaultRule("setMyCommands", FaultKind.SERVER_ERROR, count=3))
        await asyncio.wait_for(setup.publisher()(1), 10)
        statuses = [call.status for call in setup.telegram.calls_of("setMyCommands")]
        assert statuses[:3] == [500, 500, 500]
        assert statuses[3:] == [200, 200]
        assert await setup.redis.get(setup.keys.bot_profile) is not None

    async def test_a_refusing_api_never_ends_the_duty(self, setup: Setup) -> None:
        """While every call is refused the duty keeps retrying and records nothing."""
        setup.telegram.faults.add(FaultRule("*", FaultKind.SERVER_ERROR, count=None))
        duty = asyncio.create_task(setup.publisher()(1))
        await asyncio.sleep(0.5)
        assert not duty.done()
        duty.cancel()
        await asyncio.wait_for(asyncio.gather(duty, return_exceptions=True), 10)  # a cancelled duty ends
        assert len(setup.telegram.calls_of("setMyCommands")) >= 3
        assert await setup.redis.get(setup.keys.bot_profile) is None
