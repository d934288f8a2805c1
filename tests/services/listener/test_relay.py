"""Dead letters reach the admins through the crash guard of their host: real Redis, the Bot API emulator."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import redis.asyncio as aioredis

from emulators.telegram import BotApiState, run_emulator
from services.listener.app import Crashguard
from services.listener.guard import CrashGuard
from services.listener.notify import AlertBatcher, TelegramNotifier
from services.listener.recorder import AlertRecorder
from services.listener.relay import AlertRelay
from shared.keys import Keys
from shared.ops.alerts import Alert, AlertKind, AlertLog
from shared.telegram.botapi import BotApi
from tests.conftest import free_port

TOKEN = "555666778:relay-tests-token-AAAAAAAAAAAAAAAAAAAAAAA"


def alert(kind: AlertKind, host: str = "host-a", reason: str = "") -> Alert:
    return Alert(kind=kind, host=host, program="bot:bot_00", at=time.time(), reason=reason)


async def relayed_while(redis: aioredis.Redis, keys: Keys, writes: list[Alert]) -> list[Alert]:
    """What the relay of host-a delivers while ``writes`` are recorded, in order."""
    got: list[Alert] = []
    stop = asyncio.Event()
    relay = AlertRelay(redis, keys, "host-a", block_ms=50)
    running = asyncio.create_task(relay.run(stop, got.append))
    await asyncio.sleep(0.2)  # the relay follows the stream from its end at start
    for each in writes:
        await AlertLog(redis, keys).record(each)
    await asyncio.sleep(0.3)
    stop.set()
    await running
    return got


class TestAlertRelay:
    async def test_only_this_hosts_dead_letters_are_relayed(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """Another host's dead letter, the crash guard's own exits and money alerts are not relayed."""
        keys = Keys(key_prefix)
        await AlertLog(redis_client, keys).record(alert(AlertKind.DEAD_LETTERED, reason="before start"))
        writes = [
            alert(AlertKind.DEAD_LETTERED, reason="inbox entry 1-0: handler failed 5 times"),
            alert(AlertKind.DEAD_LETTERED, host="host-b"),
            alert(AlertKind.EXITED),
            alert(AlertKind.MONEY),
        ]
        got = await relayed_while(redis_client, keys, writes)
        assert [a.reason for a in got] == ["inbox entry 1-0: handler failed 5 times"]

    async def test_an_unreadable_entry_is_skipped(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        keys = Keys(key_prefix)
        got: list[Alert] = []
        stop = asyncio.Event()
        running = asyncio.create_task(AlertRelay(redis_client, keys, "host-a", 50).run(stop, got.append))
        await asyncio.sleep(0.2)
        await redis_client.xadd(keys.alerts, {"alert": "{not json"})
        await AlertLog(redis_client, keys).record(alert(AlertKind.DEAD_LETTERED, reason="after"))
        await asyncio.sleep(0.3)
        stop.set()
        await running
        assert [a.reason for a in got] == ["after"]

    async def test_a_dead_letter_reaches_each_admin_in_the_next_message(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        keys = Keys(key_prefix)
        state = BotApiState([TOKEN])
        admin = state.create_user("Admin").id
        async with aiohttp.ClientSession() as http, run_emulator(state, port=free_port()) as emulator:
            guard = Crashguard(
                CrashGuard("host-a", 5, 60.0),
                None,
                AlertRecorder(AlertLog(redis_client, keys), timeout=1.0),
                TelegramNotifier(BotApi(http, emulator.url, TOKEN), frozenset({admin}), timeout=2.0),
                AlertBatcher(0.1),
                AlertRelay(redis_client, keys, "host-a", block_ms=50),
            )
            stop = asyncio.Event()
            running = asyncio.create_task(guard.run(asyncio.Queue(), stop))
            await asyncio.sleep(0.3)
            await AlertLog(redis_client, keys).record(
                alert(AlertKind.DEAD_LETTERED, reason="kie-callbacks entry 7-0: handler failed 5 times")
            )
            for _ in range(50):
                if state.calls_of("sendMessage"):
                    break
                await asyncio.sleep(0.1)
            stop.set()
            await running
            sent = state.calls_of("sendMessage")
        assert len(sent) == 1
        assert "dead-letter" in sent[0].params["text"] and "kie-callbacks entry 7-0" in sent[0].params["text"]
