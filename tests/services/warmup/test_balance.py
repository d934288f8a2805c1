"""The leader's KIE balance watch: gauge, ERROR log and an `alerts` stream entry below the threshold."""

from __future__ import annotations

import time
from typing import cast

import redis.asyncio as aioredis
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from emulators.kie import EmulatorConfig, KieState, run_emulator
from services.warmup.balance import LOW_BALANCE_KIND, BalanceWatch
from shared.keys import Keys
from shared.kie import KieClient, KieServerError
from shared.kie.balance import read_balance
from shared.ops.report import collect
from shared.ops.table import render
from tests.conftest import free_port


class Account:
    """A stand-in credit source whose balance the test sets (or makes fail)."""

    def __init__(self, credits: float) -> None:
        self.credits = credits
        self.fail = False

    async def credit_balance(self) -> float:
        if self.fail:
            raise KieServerError("Server Error", code=500)
        return self.credits


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def watch(redis: aioredis.Redis, keys: Keys, account: Account, clock: Clock) -> BalanceWatch:
    return BalanceWatch(
        redis, keys, account, threshold=100, interval=60, host="host-a", repeat_seconds=600, clock=clock
    )


async def low_alerts(redis: aioredis.Redis, keys: Keys) -> list[dict[bytes, bytes]]:
    rows = cast(list[tuple[bytes, dict[bytes, bytes]]], await redis.xrange(keys.alerts))
    return [fields for _, fields in rows if fields.get(b"kind") == LOW_BALANCE_KIND.encode()]


class TestBalanceWatch:
    async def test_low_balance_raises_one_alert(self, redis_client: aioredis.Redis, key_prefix: str) -> None:
        """Below the threshold: ERROR log, one alerts entry, gauges set; no repeat within the period."""
        keys, clock = Keys(key_prefix), Clock()
        balance = watch(redis_client, keys, Account(42.5), clock)
        with capture_logs() as logs:
            assert await balance.check_once() == 42.5
            clock.now += 60
            await balance.check_once()
        errors = [item for item in logs if item["event"] == "kie_balance_low"]
        assert len(errors) == 1 and errors[0]["log_level"] == "error" and errors[0]["credits"] == 42.5
        (entry,) = await low_alerts(redis_client, keys)
        assert entry[b"credits"] == b"42.5" and entry[b"threshold"] == b"100" and entry[b"host"] == b"host-a"
        assert REGISTRY.get_sample_value("trt_kie_credits") == 42.5
        assert REGISTRY.get_sample_value("trt_kie_credits_low") == 1

    async def test_alert_repeats_after_the_period_and_clears_on_top_up(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """Still low after repeat_seconds: alert again; topped up: the low gauge clears, no alert."""
        keys, clock, account = Keys(key_prefix), Clock(), Account(10)
        balance = watch(redis_client, keys, account, clock)
        await balance.check_once()
        clock.now += 601
        await balance.check_once()
        assert len(await low_alerts(redis_client, keys)) == 2
        account.credits = 5000
        await balance.check_once()
        assert REGISTRY.get_sample_value("trt_kie_credits_low") == 0
        assert len(await low_alerts(redis_client, keys)) == 2

    async def test_healthy_balance_raises_nothing(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """At or above the threshold nothing is alerted."""
        keys = Keys(key_prefix)
        await watch(redis_client, keys, Account(100), Clock()).check_once()
        assert await low_alerts(redis_client, keys) == []

    async def test_unreadable_balance_is_only_logged(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """A KIE error while reading the balance returns None and alerts nothing."""
        keys, account = Keys(key_prefix), Account(1)
        account.fail = True
        with capture_logs() as logs:
            assert await watch(redis_client, keys, account, Clock()).check_once() is None
        assert any(item["event"] == "kie_balance_unreadable" for item in logs)
        assert await low_alerts(redis_client, keys) == []


class TestPublishedBalance:
    """The leader's reading lands where `/admin` and `make status` read it."""

    async def test_status_shows_the_emulator_balance(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """A reading from the KIE emulator appears as a number in the status report and its table."""
        keys, clock = Keys(key_prefix), Clock()
        state = KieState(EmulatorConfig(api_keys={"status-key": 4321}))
        async with (
            run_emulator(state, port=free_port()) as emulator,
            KieClient(
                api_base_url=emulator.url, upload_base_url=emulator.url, api_key="status-key"
            ) as client,
        ):
            clock.now = time.time() - 3
            balance = BalanceWatch(
                redis_client, keys, client, threshold=10, interval=60, host="a", clock=clock
            )
            assert await balance.check_once() == 4321
        report = await collect(redis_client, keys, "host-a", None, None)
        assert report.kie is not None and report.kie.credits == 4321
        assert report.kie.age_s is not None and 2 <= report.kie.age_s < 30
        assert "KIE balance: 4321 credits" in render(report, [])

    async def test_an_unreadable_balance_publishes_nothing(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """A failed reading leaves no number behind: the report says n/a, not a stale or invented value."""
        keys, account = Keys(key_prefix), Account(1)
        account.fail = True
        await watch(redis_client, keys, account, Clock()).check_once()
        assert await read_balance(redis_client, keys, time.time()) is None
