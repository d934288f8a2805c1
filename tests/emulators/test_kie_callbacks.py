"""KIE emulator callbacks: the documented body, retries on non-2xx, duplicates, losses and HMAC signing."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import pytest

from emulators.kie import KieState, RunningEmulator, run_emulator
from shared.kie import KieCallbackError, KieClient, TaskState, parse_callback, verify_webhook_signature
from shared.kie.callback import SIGNATURE_HEADER, TIMESTAMP_HEADER
from tests.conftest import free_port as pick_port
from tests.emulators.kie_support import (
    HMAC_KEY,
    PROMPT,
    CallbackReceiver,
    callback_receiver,
    kie_client,
    make_state,
)


@pytest.fixture(name="state")
def _state() -> KieState:
    return make_state(hmac_key=HMAC_KEY)


@pytest.fixture(name="emulator")
async def _emulator(state: KieState, free_port: int) -> AsyncIterator[RunningEmulator]:
    async with run_emulator(state, port=free_port) as running:
        yield running


@pytest.fixture(name="client")
async def _client(emulator: RunningEmulator) -> AsyncIterator[KieClient]:
    async with kie_client(emulator.url) as client:
        yield client


@pytest.fixture(name="receiver")
async def _receiver() -> AsyncIterator[CallbackReceiver]:
    async with callback_receiver(pick_port()) as receiver:
        yield receiver


async def _finish(
    client: KieClient,
    state: KieState,
    emulator: RunningEmulator,
    receiver: CallbackReceiver,
    *,
    fail: bool = False,
) -> str:
    task_id = await client.create_task("nano-banana-2", {"prompt": PROMPT}, receiver.url)
    if fail:
        state.fail_task(task_id)
    else:
        state.complete_task(task_id)
    assert await emulator.drain_callbacks(5.0)
    return task_id


class TestDelivery:
    async def test_success_body_is_the_market_callback(
        self, client: KieClient, state: KieState, emulator: RunningEmulator, receiver: CallbackReceiver
    ) -> None:
        """One POST with code 200, the documented msg, and a record our parser reads."""
        task_id = await _finish(client, state, emulator, receiver)
        assert len(receiver.received) == 1
        raw = json.loads(receiver.received[0].body)
        assert (raw["code"], raw["msg"]) == (200, "Playground task completed successfully.")
        assert raw["data"]["failCode"] is None and isinstance(raw["data"]["resultJson"], str)
        event = parse_callback(receiver.received[0].body)
        assert event.succeeded and event.task_id == task_id
        assert event.record.callback_url == receiver.url
        assert event.record.result_urls == (await client.record_info(task_id)).result_urls

    async def test_failure_body_has_code_501(
        self, client: KieClient, state: KieState, emulator: RunningEmulator, receiver: CallbackReceiver
    ) -> None:
        """A failed task is called back with code 501, failCode/failMsg and a null resultJson."""
        await _finish(client, state, emulator, receiver, fail=True)
        raw = json.loads(receiver.received[0].body)
        assert (raw["code"], raw["msg"]) == (501, "Playground task failed.")
        assert raw["data"]["resultJson"] is None
        event = parse_callback(raw)
        assert event.record.state is TaskState.FAIL and event.record.fail_code == "500"

    async def test_no_callback_without_url(
        self, client: KieClient, state: KieState, emulator: RunningEmulator
    ) -> None:
        """A task created without callBackUrl is never called back."""
        task_id = await client.create_task("nano-banana-2", {"prompt": PROMPT})
        state.complete_task(task_id)
        assert state.callback_attempts == []


class TestSignature:
    async def test_signature_verifies_with_our_function(
        self, client: KieClient, state: KieState, emulator: RunningEmulator, receiver: CallbackReceiver
    ) -> None:
        """X-Webhook-Timestamp/Signature pass shared.kie.callback's verification against the wall clock."""
        task_id = await _finish(client, state, emulator, receiver)
        headers = receiver.received[0].headers
        assert abs(int(headers[TIMESTAMP_HEADER]) - time.time()) < 5
        verify_webhook_signature(
            task_id=task_id,
            timestamp=headers[TIMESTAMP_HEADER],
            signature=headers[SIGNATURE_HEADER],
            key=HMAC_KEY,
        )
        with pytest.raises(KieCallbackError):
            verify_webhook_signature(
                task_id=task_id,
                timestamp=headers[TIMESTAMP_HEADER],
                signature=headers[SIGNATURE_HEADER],
                key="another-key",
            )

    async def test_unsigned_without_a_key(self, free_port: int, receiver: CallbackReceiver) -> None:
        """Without hmac_key no signature headers are sent."""
        state = make_state()
        async with run_emulator(state, port=free_port) as emulator, kie_client(emulator.url) as client:
            await _finish(client, state, emulator, receiver)
        assert SIGNATURE_HEADER not in receiver.received[0].headers


class TestRetriesAndFaults:
    async def test_non_2xx_is_retried_until_accepted(
        self, client: KieClient, state: KieState, emulator: RunningEmulator, receiver: CallbackReceiver
    ) -> None:
        """Two 500 answers are followed by a third attempt that lands."""
        receiver.statuses = [500, 503]
        await _finish(client, state, emulator, receiver)
        assert len(receiver.received) == 3
        assert [(a.attempt, a.status) for a in state.callback_attempts] == [(1, 500), (2, 503), (3, 200)]

    async def test_delivery_stops_after_three_retries(
        self, client: KieClient, state: KieState, emulator: RunningEmulator, receiver: CallbackReceiver
    ) -> None:
        """After the first attempt and three retries fail, KIE stops sending (§2.4)."""
        receiver.statuses = [500] * 10
        await _finish(client, state, emulator, receiver)
        assert len(receiver.received) == 4
        assert not any(a.delivered for a in state.callback_attempts)

    async def test_unreachable_receiver_is_recorded(
        self, client: KieClient, state: KieState, emulator: RunningEmulator
    ) -> None:
        """A refused connection is an attempt with an error, retried like a non-2xx."""
        url = f"http://127.0.0.1:{pick_port()}/kie/callback/x"
        task_id = await client.create_task("nano-banana-2", {"prompt": PROMPT}, url)
        state.complete_task(task_id)
        assert await emulator.drain_callbacks(5.0)
        assert len(state.callback_attempts) == 4
        assert all(a.status is None and a.error for a in state.callback_attempts)

    async def test_duplicate_callbacks(
        self, client: KieClient, state: KieState, emulator: RunningEmulator, receiver: CallbackReceiver
    ) -> None:
        """duplicate_callback_next sends the same callback twice, with equal bodies."""
        state.faults.tasks.update({"duplicate_callback_next": 1})
        await _finish(client, state, emulator, receiver)
        assert len(receiver.received) == 2
        assert receiver.received[0].body == receiver.received[1].body
        assert [a.duplicate for a in state.callback_attempts] == [False, True]

    async def test_lost_callbacks(
        self, client: KieClient, state: KieState, emulator: RunningEmulator, receiver: CallbackReceiver
    ) -> None:
        """lose_callback_next drops the callback; the record still says success."""
        state.faults.tasks.update({"lose_callback_next": 1})
        task_id = await _finish(client, state, emulator, receiver)
        assert receiver.received == []
        assert [a.lost for a in state.callback_attempts] == [True]
        assert (await client.record_info(task_id)).state is TaskState.SUCCESS

    async def test_callbacks_ended_by_the_clock(
        self, client: KieClient, state: KieState, emulator: RunningEmulator, receiver: CallbackReceiver
    ) -> None:
        """Tasks that end because time passed are called back too."""
        task_id = await client.create_task("nano-banana-2", {"prompt": PROMPT}, receiver.url)
        state.advance_clock(60)
        assert await emulator.drain_callbacks(5.0)
        assert parse_callback(receiver.received[0].body).task_id == task_id
