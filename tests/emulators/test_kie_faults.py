"""KIE emulator fault injection: error answers on endpoints, rate limits, and seeded task outcome faults."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from emulators.kie import ApiFault, FaultKind, KieState, RateLimits, RunningEmulator, run_emulator
from shared.kie import (
    KieClient,
    KieFeatureDisabledError,
    KieRateLimitedError,
    KieServerError,
    KieServiceUnavailableError,
    KieSubmitOutcomeUnknownError,
    TaskState,
)
from tests.emulators.kie_support import API_KEY, PROMPT, kie_client, make_state

IMAGE = {"model": "nano-banana-2", "input": {"prompt": PROMPT}}


@pytest.fixture(name="state")
def _state() -> KieState:
    return make_state(credits=100_000.0)


@pytest.fixture(name="emulator")
async def _emulator(state: KieState, free_port: int) -> AsyncIterator[RunningEmulator]:
    async with run_emulator(state, port=free_port) as running:
        yield running


@pytest.fixture(name="client")
async def _client(emulator: RunningEmulator) -> AsyncIterator[KieClient]:
    async with kie_client(emulator.url) as client:
        yield client


def _codes(state: KieState, endpoint: str) -> list[int]:
    return [call.code for call in state.calls if call.endpoint == endpoint]


class TestApiFaults:
    async def test_next_429s_on_create_are_retried_by_the_client(
        self, client: KieClient, state: KieState
    ) -> None:
        """Two injected 429s are rejected without a task; the client's third attempt creates one."""
        state.faults.add(ApiFault("createTask", FaultKind.RATE_LIMITED, count=2))
        await client.create_task("nano-banana-2", {"prompt": PROMPT})
        assert _codes(state, "createTask") == [429, 429, 200]
        assert len(state.tasks) == 1

    async def test_455_is_maintenance(self, state: KieState, emulator: RunningEmulator) -> None:
        """An unlimited 455 rule exhausts the client's retries with KieServiceUnavailableError."""
        state.faults.add(ApiFault("credit", FaultKind.MAINTENANCE, count=None))
        async with kie_client(emulator.url, attempts=2) as client:
            with pytest.raises(KieServiceUnavailableError):
                await client.credit_balance()
        assert _codes(state, "credit") == [455, 455]

    async def test_500_on_record_info_is_retried(self, client: KieClient, state: KieState) -> None:
        """A single 500 on recordInfo is retried and the record still arrives."""
        task_id = await client.create_task("nano-banana-2", {"prompt": PROMPT})
        state.faults.add(ApiFault("recordInfo", FaultKind.SERVER_ERROR))
        assert (await client.record_info(task_id)).task_id == task_id
        assert _codes(state, "recordInfo") == [500, 200]

    async def test_error_code_inside_http_200(self, client: KieClient, state: KieState) -> None:
        """An "error" fault answers any code in an HTTP 200 body; our client still sees it."""
        state.faults.add(ApiFault("credit", FaultKind.ERROR, code=505))
        with pytest.raises(KieFeatureDisabledError):
            await client.credit_balance()
        assert state.calls[-1].http_status == 200

    async def test_error_with_http_status(self, client: KieClient, state: KieState) -> None:
        """http_status sets the HTTP status of an injected error."""
        state.faults.add(ApiFault("recordInfo", FaultKind.SERVER_ERROR, count=None, http_status=500))
        async with kie_client(state.api_url, attempts=1) as once:
            with pytest.raises(KieServerError):
                await once.record_info("x")
        assert state.calls[-1].http_status == 500

    async def test_after_create_makes_an_ambiguous_submit(self, client: KieClient, state: KieState) -> None:
        """A 500 after creation leaves a real task behind while the client reports an unknown outcome."""
        state.faults.add(ApiFault("createTask", FaultKind.SERVER_ERROR, after_create=True))
        with pytest.raises(KieSubmitOutcomeUnknownError):
            await client.create_task("nano-banana-2", {"prompt": PROMPT})
        assert len(state.tasks) == 1

    async def test_fractions_are_deterministic_with_a_seed(self) -> None:
        """Two states with the same seed inject faults on the same calls."""
        patterns = []
        for _ in range(2):
            state = make_state(seed=42)
            state.faults.add(ApiFault("createTask", FaultKind.RATE_LIMITED, count=None, fraction=0.3))
            patterns.append([state.faults.draw("createTask")[1] is not None for _ in range(50)])
        assert patterns[0] == patterns[1] and 5 < sum(patterns[0]) < 30

    async def test_rate_limit_of_creates(self, free_port: int) -> None:
        """The 21st createTask within 10 s is a 429 that creates nothing."""
        state = make_state(rate_limits=RateLimits(20, 10.0, None), credits=100_000.0)
        async with (
            run_emulator(state, port=free_port) as emulator,
            kie_client(emulator.url, attempts=1) as client,
        ):
            for _ in range(20):
                await client.create_task("nano-banana-2", {"prompt": PROMPT})
            with pytest.raises(KieRateLimitedError):
                await client.create_task("nano-banana-2", {"prompt": PROMPT})
        assert len(state.tasks) == 20


class TestTaskFaults:
    def test_fail_next_fails_the_next_tasks(self) -> None:
        """fail_next fails exactly that many new tasks with the configured code and message."""
        state = make_state()
        state.faults.tasks.update({"fail_next": 2})
        tasks = [state.create_task(API_KEY, IMAGE) for _ in range(3)]
        state.advance_clock(60)
        assert [t.state for t in tasks] == [TaskState.FAIL, TaskState.FAIL, TaskState.SUCCESS]
        assert (tasks[0].fail_code, tasks[0].fail_msg) == ("500", "Internal server error")

    def test_fractions_follow_the_seed(self) -> None:
        """The same seed marks the same tasks failed, lost and duplicated; roughly at the fractions."""
        outcomes = []
        for _ in range(2):
            state = make_state(seed=7, credits=1_000_000.0)
            state.faults.tasks.update(
                {"fail_fraction": 0.1, "lose_callback_fraction": 0.1, "duplicate_callback_fraction": 0.1}
            )
            tasks = [state.create_task(API_KEY, IMAGE) for _ in range(300)]
            outcomes.append(
                [(t.planned_fail is not None, t.lose_callback, t.duplicate_callback) for t in tasks]
            )
        assert outcomes[0] == outcomes[1]
        for column in range(3):
            assert 10 < sum(row[column] for row in outcomes[0]) < 60
