"""The crash guard end to end inside one process: real Redis, the Bot API emulator, a fake-free clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
import redis.asyncio as aioredis

from emulators.telegram import BotApiState, run_emulator
from services.listener.app import Crashguard
from services.listener.guard import CrashGuard
from services.listener.notify import AlertBatcher, TelegramNotifier
from services.listener.recorder import AlertRecorder
from shared.keys import Keys
from shared.ops.alerts import Alert, AlertKind, AlertLog
from shared.telegram.botapi import BotApi
from tests.conftest import PrivateRedis, free_port
from tests.services.listener.events import backoff, exited

TOKEN = "555666777:crashguard-tests-token-AAAAAAAAAAAAAAAAA"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(name="http")
async def _http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def build(
    redis: aioredis.Redis, keys: Keys, api: BotApi | None, admins: frozenset[int], clock: Clock
) -> Crashguard:
    return Crashguard(
        CrashGuard("host-a", 2, 60.0),
        None,
        AlertRecorder(AlertLog(redis, keys), timeout=1.0),
        TelegramNotifier(api, admins, timeout=2.0),
        AlertBatcher(10.0),
        clock=clock,
    )


class TestCrashguard:
    async def test_alerts_are_recorded_and_collapsed_into_one_message(
        self, redis_client: aioredis.Redis, key_prefix: str, http: aiohttp.ClientSession
    ) -> None:
        """A burst of exits is in Redis at once and reaches each admin as a single message."""
        state = BotApiState([TOKEN])
        admin = state.create_user("Admin").id
        keys, clock = Keys(key_prefix), Clock()
        async with run_emulator(state, port=free_port()) as emulator:
            guard = build(redis_client, keys, BotApi(http, emulator.url, TOKEN), frozenset({admin}), clock)
            for step in range(3):
                clock.now += 1
                await guard.handle(exited("jobs", pid=10 + step))
            await guard.flush()
            assert state.calls_of("sendMessage") == []
            clock.now += 10
            await guard.flush()
            sent = state.calls_of("sendMessage")
        assert len(sent) == 1
        text = sent[0].params["text"]
        assert "4 alert(s)" in text and "stopped by the crash guard" in text
        alerts = AlertLog(redis_client, keys)
        assert await alerts.restarts_since("host-a", 0) == {"jobs": 3}
        assert [a.kind for a in await alerts.recent()][:2] == [AlertKind.STOPPED, AlertKind.EXITED]

    async def test_failed_starts_are_recorded_but_not_sent(
        self, redis_client: aioredis.Redis, key_prefix: str, http: aiohttp.ClientSession
    ) -> None:
        """BACKOFF exits count as restarts in Redis; admins hear only about the give-up."""
        state = BotApiState([TOKEN])
        admin = state.create_user("Admin").id
        keys, clock = Keys(key_prefix), Clock()
        async with run_emulator(state, port=free_port()) as emulator:
            guard = build(redis_client, keys, BotApi(http, emulator.url, TOKEN), frozenset({admin}), clock)
            await guard.handle(backoff("warmup"))
            clock.now += 60
            await guard.flush()
            assert state.calls_of("sendMessage") == []
        assert await AlertLog(redis_client, keys).restarts_since("host-a", 0) == {"warmup": 1}

    async def test_telegram_down_costs_nothing_but_the_message(
        self, redis_client: aioredis.Redis, key_prefix: str, http: aiohttp.ClientSession
    ) -> None:
        """With nothing listening at the Bot API URL, alerts are still recorded and flush does not raise."""
        keys, clock = Keys(key_prefix), Clock()
        api = BotApi(http, f"http://127.0.0.1:{free_port()}", TOKEN)
        guard = build(redis_client, keys, api, frozenset({1}), clock)
        assert len(await guard.handle(exited("webhook"))) == 1
        clock.now += 11
        await guard.flush()
        assert len(await AlertLog(redis_client, keys).recent()) == 1

    async def test_redis_down_keeps_alerts_until_it_is_back(
        self, private_redis: PrivateRedis, key_prefix: str
    ) -> None:
        """Alerts made while Redis is down are written, in order, once it answers again."""
        client = aioredis.Redis.from_url(f"redis://127.0.0.1:{private_redis.port}", socket_timeout=1)
        keys, clock = Keys(key_prefix), Clock()
        guard = build(client, keys, None, frozenset(), clock)
        try:
            private_redis.stop()
            await guard.handle(exited("webhook", pid=1))
            await guard.handle(exited("webhook", pid=2))
            private_redis.start()
            await guard.flush()
            pids = [a.pid for a in await AlertLog(client, keys).recent()]
        finally:
            await client.aclose()
        assert pids == [2, 1]


class TestAlertLog:
    async def test_entries_of_other_writers_are_skipped(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """The alerts stream is shared (e.g. low KIE balance); only crash-guard entries are parsed."""
        keys = Keys(key_prefix)
        await redis_client.xadd(keys.alerts, {"kind": "kie_low_balance", "credits": "5"})
        alert = Alert(AlertKind.FATAL, "host-a", "warmup", 5.0, reason="configuration error: X: bad")
        await AlertLog(redis_client, keys).record(alert)
        assert await AlertLog(redis_client, keys).recent() == [alert]

    def test_json_round_trip(self) -> None:
        """An alert survives the pub/sub message and stream field unchanged."""
        alert = Alert(AlertKind.STOPPED, "h", "bot:bot_00", 1.5, pid=9, restarts=6, period_s=60.0)
        assert Alert.from_json(alert.to_json()) == alert
