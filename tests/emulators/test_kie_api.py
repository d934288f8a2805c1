"""KIE emulator API: auth and envelope, createTask validation against the docs table, credits, recordInfo."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from emulators.kie import ChargeOn, KieState, RunningEmulator, run_emulator
from emulators.kie.docs_table import DocModel
from shared.kie import (
    KieAuthError,
    KieClient,
    KieInsufficientCreditsError,
    KieRecordNotFoundError,
    KieValidationError,
    TaskState,
)
from tests.emulators.kie_support import API_KEY, OTHER_KEY, PROMPT, kie_client, make_state


@pytest.fixture(name="state")
def _state() -> KieState:
    return make_state(credits=100.0)


@pytest.fixture(name="emulator")
async def _emulator(state: KieState, free_port: int) -> AsyncIterator[RunningEmulator]:
    async with run_emulator(state, port=free_port) as running:
        yield running


@pytest.fixture(name="client")
async def _client(emulator: RunningEmulator) -> AsyncIterator[KieClient]:
    async with kie_client(emulator.url) as client:
        yield client


@pytest.fixture(name="http")
async def _http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def _headers(key: str = API_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


class TestAuthAndEnvelope:
    async def test_missing_key_is_401_inside_http_200(
        self, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """No Authorization header gets KIE's documented 401 body inside an HTTP 200."""
        async with http.get(f"{emulator.url}/api/v1/chat/credit") as resp:
            assert resp.status == 200
            body = await resp.json()
        assert body == {"code": 401, "msg": "You do not have access permissions", "data": None}

    async def test_unknown_key_raises_auth_error_in_client(self, emulator: RunningEmulator) -> None:
        """Our client maps the body code 401 to KieAuthError."""
        async with kie_client(emulator.url, api_key="not-a-key") as client:
            with pytest.raises(KieAuthError):
                await client.credit_balance()

    async def test_success_envelope_has_code_msg_data(
        self, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """A good call answers {code: 200, msg: "success", data: ...}."""
        async with http.get(f"{emulator.url}/api/v1/chat/credit", headers=_headers()) as resp:
            body = await resp.json()
        assert body == {"code": 200, "msg": "success", "data": 100}

    async def test_mirrored_status_carries_the_code(self, free_port: int) -> None:
        """With mirror_http_status the HTTP status equals the body code."""
        state = make_state(mirror_http_status=True)
        async with (
            run_emulator(state, port=free_port) as emulator,
            aiohttp.ClientSession() as http,
            http.get(f"{emulator.url}/api/v1/chat/credit", headers=_headers("x")) as resp,
        ):
            assert resp.status == 401
            assert (await resp.json())["code"] == 401


class TestCreateTaskValidation:
    async def test_bad_enum_value_is_422_naming_the_field(self, client: KieClient) -> None:
        """An aspect_ratio outside nano-banana-2's enum is refused with a message naming the field."""
        with pytest.raises(KieValidationError) as caught:
            await client.create_task("nano-banana-2", {"prompt": PROMPT, "aspect_ratio": "7:5"})
        assert caught.value.code == 422
        assert "aspect_ratio" in caught.value.message

    async def test_missing_required_field_is_named(self, client: KieClient) -> None:
        """kling-2.6/text-to-video without its required `sound` names `sound`."""
        params = {"prompt": PROMPT, "aspect_ratio": "16:9", "duration": "5"}
        with pytest.raises(KieValidationError, match="sound"):
            await client.create_task("kling-2.6/text-to-video", params)

    async def test_unknown_model_is_422(self, client: KieClient) -> None:
        """A model KIE's docs do not list is 422, like an unsupported model on KIE."""
        with pytest.raises(KieValidationError, match="no-such-model"):
            await client.create_task("no-such-model", {"prompt": PROMPT})

    async def test_unknown_input_fields_are_ignored(self, client: KieClient, state: KieState) -> None:
        """Extra input keys pass, as KIE ignores them."""
        task_id = await client.create_task("nano-banana-2", {"prompt": PROMPT, "made_up": 1})
        assert state.tasks.get(task_id).state.value == "waiting"

    async def test_no_task_is_stored_on_rejection(self, client: KieClient, state: KieState) -> None:
        """A refused createTask leaves the task book empty and the call recorded with its code."""
        with pytest.raises(KieValidationError):
            await client.create_task("nano-banana-2", {"prompt": PROMPT, "resolution": "9K"})
        assert len(state.tasks) == 0
        assert [(c.endpoint, c.code, c.model) for c in state.calls] == [("createTask", 422, "nano-banana-2")]


class TestCredits:
    async def test_success_deducts_the_documented_price(self, client: KieClient, state: KieState) -> None:
        """A task that succeeds costs exactly the docs table's price of its input."""
        params = {"prompt": PROMPT, "resolution": "2K"}
        price = state.docs.price(_model(state, "nano-banana-2"), params)
        task_id = await client.create_task("nano-banana-2", params)
        assert await client.credit_balance() == 100
        state.complete_task(task_id)
        assert await client.credit_balance() == 100 - price
        assert (await client.record_info(task_id)).credits_consumed == price

    async def test_insufficient_credits_is_402(self, client: KieClient, state: KieState) -> None:
        """When the balance (minus running tasks) cannot pay, createTask answers 402 and stores nothing."""
        state.accounts.set(API_KEY, 1)
        with pytest.raises(KieInsufficientCreditsError):
            await client.create_task("nano-banana-2", {"prompt": PROMPT})
        assert len(state.tasks) == 0

    async def test_running_tasks_hold_credits(self, client: KieClient, state: KieState) -> None:
        """Charge-on-success still counts running tasks, so a key cannot overspend."""
        price = state.docs.price(_model(state, "nano-banana-2"), {"prompt": PROMPT})
        state.accounts.set(API_KEY, price * 2)
        await client.create_task("nano-banana-2", {"prompt": PROMPT})
        await client.create_task("nano-banana-2", {"prompt": PROMPT})
        with pytest.raises(KieInsufficientCreditsError):
            await client.create_task("nano-banana-2", {"prompt": PROMPT})

    async def test_failed_task_costs_nothing(self, client: KieClient, state: KieState) -> None:
        """A failed task leaves the balance alone and reports creditsConsumed 0."""
        task_id = await client.create_task("nano-banana-2", {"prompt": PROMPT})
        state.fail_task(task_id)
        assert await client.credit_balance() == 100
        assert (await client.record_info(task_id)).credits_consumed == 0

    async def test_charge_on_accept_refunds_a_failure(self, free_port: int) -> None:
        """With charge_on=accept the price leaves at creation and comes back on fail."""
        state = make_state(credits=100.0, charge_on=ChargeOn.ACCEPT)
        async with run_emulator(state, port=free_port) as emulator, kie_client(emulator.url) as client:
            task_id = await client.create_task("nano-banana-2", {"prompt": PROMPT})
            assert await client.credit_balance() == 100 - state.tasks.get(task_id).price
            state.fail_task(task_id)
            assert await client.credit_balance() == 100

    async def test_balances_are_per_key(self, emulator: RunningEmulator, state: KieState) -> None:
        """Each key has its own balance."""
        state.accounts.set(OTHER_KEY, 7)
        async with kie_client(emulator.url, api_key=OTHER_KEY) as other:
            assert await other.credit_balance() == 7


class TestRecordInfo:
    async def test_raw_shapes_follow_the_reference(
        self, emulator: RunningEmulator, state: KieState, http: aiohttp.ClientSession, client: KieClient
    ) -> None:
        """param and resultJson are JSON strings, times are ms, failCode/failMsg are "" on success."""
        task_id = await client.create_task("nano-banana-2", {"prompt": PROMPT}, "https://cb.example/x")
        state.advance_clock(60)
        url = f"{emulator.url}/api/v1/jobs/recordInfo?taskId={task_id}"
        async with http.get(url, headers=_headers()) as resp:
            data = (await resp.json())["data"]
        assert json.loads(data["param"]) == {
            "model": "nano-banana-2",
            "input": {"prompt": PROMPT},
            "callBackUrl": "https://cb.example/x",
        }
        assert json.loads(data["resultJson"])["resultUrls"][0].startswith(emulator.url)
        assert data["state"] == "success" and data["failCode"] == "" and data["failMsg"] == ""
        assert data["createTime"] == int(state.tasks.get(task_id).created * 1000)
        assert data["completeTime"] > data["createTime"] and data["updateTime"] == data["completeTime"]
        assert isinstance(data["costTime"], int) and data["costTime"] > 0

    async def test_client_parses_a_success(self, client: KieClient, state: KieState) -> None:
        """shared.kie's record_info reads the emulator's record into a TaskRecord."""
        task_id = await client.create_task("nano-banana-2", {"prompt": PROMPT, "aspect_ratio": "16:9"})
        state.complete_task(task_id)
        record = await client.record_info(task_id)
        assert record.state is TaskState.SUCCESS
        assert record.model == "nano-banana-2"
        assert record.input == {"prompt": PROMPT, "aspect_ratio": "16:9"}
        assert len(record.result_urls) == 1
        assert record.fail_code is None and record.complete_time is not None

    async def test_client_parses_a_failure(self, client: KieClient, state: KieState) -> None:
        """A failed task carries failCode/failMsg and no result."""
        task_id = await client.create_task("nano-banana-2", {"prompt": PROMPT})
        state.fail_task(task_id, "422", "Invalid prompt: prompt contains prohibited content")
        record = await client.record_info(task_id)
        assert record.state is TaskState.FAIL
        assert (record.fail_code, record.fail_msg) == (
            "422",
            "Invalid prompt: prompt contains prohibited content",
        )
        assert record.result_urls == ()

    async def test_unknown_task_is_record_is_null(self, client: KieClient) -> None:
        """An unknown taskId is 422 "recordInfo is null"."""
        with pytest.raises(KieRecordNotFoundError):
            await client.record_info("0" * 32)

    async def test_other_keys_cannot_read_a_task(self, client: KieClient, emulator: RunningEmulator) -> None:
        """A task is visible only to the key that created it."""
        task_id = await client.create_task("nano-banana-2", {"prompt": PROMPT})
        async with kie_client(emulator.url, api_key=OTHER_KEY) as other:
            with pytest.raises(KieRecordNotFoundError):
                await other.record_info(task_id)

    async def test_missing_task_id_is_400(
        self, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """recordInfo without taskId answers 400 "taskId parameter is required"."""
        async with http.get(f"{emulator.url}/api/v1/jobs/recordInfo", headers=_headers()) as resp:
            body = await resp.json()
        assert (body["code"], body["msg"]) == (400, "taskId parameter is required")

    async def test_null_polls_right_after_creation(self, free_port: int) -> None:
        """With null_polls=2 the first two polls answer "recordInfo is null", then the record appears."""
        state = make_state(null_polls=2)
        async with run_emulator(state, port=free_port) as emulator, kie_client(emulator.url) as client:
            task_id = await client.create_task("nano-banana-2", {"prompt": PROMPT})
            for _ in range(2):
                with pytest.raises(KieRecordNotFoundError):
                    await client.record_info(task_id)
            assert (await client.record_info(task_id)).task_id == task_id


class TestDownloadUrl:
    async def test_result_url_gets_a_direct_link(
        self, client: KieClient, state: KieState, http: aiohttp.ClientSession
    ) -> None:
        """download-url turns a result URL into a link serving the same bytes."""
        task_id = await client.create_task("nano-banana-2", {"prompt": PROMPT})
        state.complete_task(task_id)
        result = (await client.record_info(task_id)).result_urls[0]
        link = await client.download_url(result)
        async with http.get(link) as resp, http.get(result) as original:
            assert await resp.read() == await original.read()

    async def test_foreign_url_is_422(self, client: KieClient) -> None:
        """A URL the emulator did not generate is 422."""
        with pytest.raises(KieValidationError):
            await client.download_url("https://example.com/cat.png")


def _model(state: KieState, model_id: str) -> DocModel:
    model = state.docs.get(model_id)
    assert model is not None
    return model
