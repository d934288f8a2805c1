"""getUpdates long polling and webhook delivery, the way Telegram serves updates."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from emulators.telegram import BotApiState, DeliveryPolicy, RunningEmulator, run_emulator
from tests.conftest import free_port

from .conftest import TOKEN

FAST = DeliveryPolicy(initial_backoff=0.02, max_backoff=0.1)


async def call(
    http: aiohttp.ClientSession, emulator: RunningEmulator, method: str, **params: Any
) -> dict[str, Any]:
    """POST JSON to a Bot API method and return the body (status in 'status')."""
    async with http.post(f"{emulator.url}/bot{TOKEN}/{method}", json=params) as resp:
        return {**await resp.json(), "status": resp.status}


@dataclass
class Receiver:
    """A webhook endpoint that fails the first `failures` attempts of every update."""

    failures: int = 0
    delay: float = 0.0
    seen: list[dict[str, Any]] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    secrets: list[str | None] = field(default_factory=list)
    tries: dict[int, int] = field(default_factory=dict)
    active: dict[int, int] = field(default_factory=dict)
    overlap: bool = False
    in_flight: int = 0
    peak: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        update = await request.json()
        self.secrets.append(request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        self.seen.append(update)
        chat = _chat_of(update)
        self.active[chat] = self.active.get(chat, 0) + 1
        self.overlap = self.overlap or self.active[chat] > 1
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            uid = update["update_id"]
            self.tries[uid] = self.tries.get(uid, 0) + 1
            if self.tries[uid] <= self.failures:
                return web.Response(status=500)
            self.accepted.append(update)
            return web.Response(status=200)
        finally:
            self.active[chat] -= 1
            self.in_flight -= 1


def _chat_of(update: dict[str, Any]) -> int:
    message = update.get("message") or update.get("callback_query", {}).get("message")
    return int(message["chat"]["id"])


@pytest.fixture(name="fast_emulator")
async def _fast_emulator(state: BotApiState, free_port: int) -> AsyncIterator[RunningEmulator]:
    async with run_emulator(state, port=free_port, delivery=FAST) as running:
        yield running


async def _serve_receiver(receiver: Receiver) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}/hook"


async def _wait_for(predicate: Any, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached in time")


class TestGetUpdates:
    async def test_updates_have_increasing_ids_and_offset_confirms(
        self, state: BotApiState, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """Injected updates come with strictly increasing update_id; offset drops confirmed ones."""
        user = state.create_user()
        for text in ("a", "b", "c"):
            state.send_text(user.id, text)
        first = await call(http, emulator, "getUpdates")
        ids = [u["update_id"] for u in first["result"]]
        assert ids == sorted(ids) and len(set(ids)) == 3
        assert [u["message"]["text"] for u in first["result"]] == ["a", "b", "c"]
        rest = await call(http, emulator, "getUpdates", offset=ids[1] + 1)
        assert [u["update_id"] for u in rest["result"]] == [ids[2]]
        limited = await call(http, emulator, "getUpdates", offset=ids[2] + 1, limit=1)
        assert limited["result"] == []

    async def test_long_poll_returns_when_an_update_arrives(
        self, state: BotApiState, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """A waiting getUpdates answers as soon as a user writes."""
        user = state.create_user()
        poll = asyncio.create_task(call(http, emulator, "getUpdates", timeout=10))
        await asyncio.sleep(0.1)
        state.send_text(user.id, "/start")
        body = await asyncio.wait_for(poll, 5)
        [update] = body["result"]
        assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]

    async def test_second_poller_terminates_the_first(
        self, state: BotApiState, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """Two concurrent getUpdates: the older one gets 409 Conflict."""
        first = asyncio.create_task(call(http, emulator, "getUpdates", timeout=5))
        await asyncio.sleep(0.1)
        second = asyncio.create_task(call(http, emulator, "getUpdates", timeout=0.3))
        older = await asyncio.wait_for(first, 5)
        assert older["status"] == 409
        assert older["description"].startswith("Conflict: terminated by other getUpdates request")
        assert (await second)["ok"] is True

    async def test_get_updates_conflicts_with_webhook(
        self, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """getUpdates while a webhook is set answers 409 until deleteWebhook."""
        assert (await call(http, emulator, "setWebhook", url="http://127.0.0.1:9/hook"))["ok"]
        body = await call(http, emulator, "getUpdates")
        assert body["status"] == 409
        assert body["description"].startswith("Conflict: can't use getUpdates method while webhook is active")
        deleted = await call(http, emulator, "deleteWebhook")
        assert deleted["description"] == "Webhook was deleted"
        assert (await call(http, emulator, "getUpdates"))["ok"] is True


class TestWebhookDelivery:
    async def test_retries_until_2xx_and_counts_failures(
        self, state: BotApiState, fast_emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """Each update is re-sent until the webhook answers 2xx; attempts and failures are counted."""
        receiver = Receiver(failures=2)
        runner, url = await _serve_receiver(receiver)
        try:
            await call(http, fast_emulator, "setWebhook", url=url, secret_token="s3cret")
            user = state.create_user()
            state.send_text(user.id, "hello")
            await _wait_for(lambda: len(receiver.accepted) == 1)
            bot = state.bot()
            await _wait_for(lambda: not bot.pending)
            assert bot.webhook_stats.attempts == 3
            assert bot.webhook_stats.failures == 2
            assert set(receiver.secrets) == {"s3cret"}
            info = await call(http, fast_emulator, "getWebhookInfo")
            assert info["result"]["pending_update_count"] == 0
            assert info["result"]["last_error_message"].startswith("Wrong response from the webhook: 500")
        finally:
            await runner.cleanup()

    async def test_per_chat_order_with_concurrent_chats(
        self, state: BotApiState, fast_emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """Updates of one chat arrive one at a time in order, even with retries; chats run side by side."""
        receiver = Receiver(failures=1, delay=0.01)
        runner, url = await _serve_receiver(receiver)
        try:
            await call(http, fast_emulator, "setWebhook", url=url)
            users = [state.create_user(f"u{i}") for i in range(5)]
            for n in range(6):
                for user in users:
                    state.send_text(user.id, f"{n}")
            await _wait_for(lambda: len(receiver.accepted) == 30)
            assert not receiver.overlap
            for user in users:
                texts = [u["message"]["text"] for u in receiver.accepted if _chat_of(u) == user.id]
                assert texts == [str(n) for n in range(6)]
            assert receiver.peak > 1
        finally:
            await runner.cleanup()

    async def test_pending_updates_wait_for_webhook_or_poll(
        self, state: BotApiState, fast_emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """Updates made with no webhook are delivered once a webhook is set."""
        user = state.create_user()
        state.send_text(user.id, "early")
        receiver = Receiver()
        runner, url = await _serve_receiver(receiver)
        try:
            await call(http, fast_emulator, "setWebhook", url=url)
            await _wait_for(lambda: len(receiver.accepted) == 1)
            assert receiver.accepted[0]["message"]["text"] == "early"
        finally:
            await runner.cleanup()

    async def test_max_connections_bounds_parallel_deliveries(
        self, state: BotApiState, fast_emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """No more than max_connections webhook requests are in flight at once."""
        receiver = Receiver(delay=0.05)
        runner, url = await _serve_receiver(receiver)
        try:
            await call(http, fast_emulator, "setWebhook", url=url, max_connections=2)
            for i in range(6):
                state.send_text(state.create_user(f"c{i}").id, "hi")
            await _wait_for(lambda: len(receiver.accepted) == 6)
            assert receiver.peak == 2
        finally:
            await runner.cleanup()
