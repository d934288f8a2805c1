"""KIE emulator state machine: waiting → queuing → generating → success | fail on a controllable clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from emulators.kie import EmulatorError, KieState, OutputKind, PhaseDurations, RunningEmulator, run_emulator
from shared.kie import KieClient, TaskState
from tests.emulators.kie_support import API_KEY, PROMPT, kie_client, make_state

PHASES = {kind: PhaseDurations(1.0, 2.0, 3.0) for kind in OutputKind}


@pytest.fixture(name="state")
def _state() -> KieState:
    return make_state(phases=PHASES)


@pytest.fixture(name="emulator")
async def _emulator(state: KieState, free_port: int) -> AsyncIterator[RunningEmulator]:
    async with run_emulator(state, port=free_port) as running:
        yield running


@pytest.fixture(name="client")
async def _client(emulator: RunningEmulator) -> AsyncIterator[KieClient]:
    async with kie_client(emulator.url) as client:
        yield client


class TestStateMachine:
    async def test_states_follow_the_clock(self, client: KieClient, state: KieState) -> None:
        """On a frozen clock the task moves only when time is advanced, through every state in order."""
        task_id = await client.create_task("nano-banana-2", {"prompt": PROMPT})
        seen = [(await client.record_info(task_id)).state]
        for seconds in (1.0, 2.0, 3.0):
            state.advance_clock(seconds)
            seen.append((await client.record_info(task_id)).state)
        assert seen == [TaskState.WAITING, TaskState.QUEUING, TaskState.GENERATING, TaskState.SUCCESS]

    async def test_time_stands_still_while_frozen(self, client: KieClient, state: KieState) -> None:
        """Without advancing, a frozen clock keeps the task waiting however often it is polled."""
        task_id = await client.create_task("nano-banana-2", {"prompt": PROMPT})
        for _ in range(3):
            assert (await client.record_info(task_id)).state is TaskState.WAITING

    async def test_update_time_marks_each_transition(self, client: KieClient, state: KieState) -> None:
        """updateTime is the instant of the last state change; costTime counts generating seconds."""
        task_id = await client.create_task("nano-banana-2", {"prompt": PROMPT})
        created = state.tasks.get(task_id).created
        state.advance_clock(1.5)
        record = await client.record_info(task_id)
        assert record.update_time is not None and record.update_time.timestamp() == pytest.approx(created + 1)
        state.advance_clock(10)
        done = await client.record_info(task_id)
        assert done.complete_time is not None
        assert done.complete_time.timestamp() == pytest.approx(created + 6)
        assert done.cost_time == 3

    async def test_advance_ends_the_current_state_now(self, client: KieClient, state: KieState) -> None:
        """The advance control moves one state at a time, then ends the task."""
        task_id = await client.create_task("nano-banana-2", {"prompt": PROMPT})
        states = [state.advance_task(task_id).state.value for _ in range(3)]
        assert states == ["queuing", "generating", "success"]

    async def test_complete_and_fail_end_a_task_now(self, client: KieClient, state: KieState) -> None:
        """complete_task and fail_task end running tasks immediately."""
        first = await client.create_task("nano-banana-2", {"prompt": PROMPT})
        second = await client.create_task("nano-banana-2", {"prompt": PROMPT})
        state.complete_task(first)
        state.fail_task(second, "501", "Generation failed")
        assert (await client.record_info(first)).state is TaskState.SUCCESS
        failed = await client.record_info(second)
        assert (failed.state, failed.fail_code, failed.fail_msg) == (
            TaskState.FAIL,
            "501",
            "Generation failed",
        )

    async def test_ended_tasks_refuse_control(self, client: KieClient, state: KieState) -> None:
        """Completing a task twice is refused, so outcomes cannot flip."""
        task_id = await client.create_task("nano-banana-2", {"prompt": PROMPT})
        state.complete_task(task_id)
        with pytest.raises(EmulatorError, match="already ended"):
            state.fail_task(task_id)

    async def test_sora_reports_progress(self, client: KieClient, state: KieState) -> None:
        """Only Sora 2 tasks carry progress, rising while generating and 100 at the end."""
        task_id = await client.create_task("sora-2-text-to-video", {"prompt": PROMPT})
        state.advance_clock(3.0 + 1.5)
        assert (await client.record_info(task_id)).progress == 50
        state.advance_clock(5)
        assert (await client.record_info(task_id)).progress == 100
        other = await client.create_task("nano-banana-2", {"prompt": PROMPT})
        assert (await client.record_info(other)).progress is None

    async def test_per_type_durations(self, free_port: int) -> None:
        """Phase durations are configured per generation type."""
        phases = {**PHASES, OutputKind.VIDEO: PhaseDurations(0.0, 0.0, 100.0)}
        state = make_state(phases=phases)
        async with run_emulator(state, port=free_port) as emulator, kie_client(emulator.url) as client:
            image = await client.create_task("nano-banana-2", {"prompt": PROMPT})
            video = await client.create_task("wan/2-6-text-to-video", {"prompt": PROMPT})
            state.advance_clock(10)
            assert (await client.record_info(image)).state is TaskState.SUCCESS
            assert (await client.record_info(video)).state is TaskState.GENERATING


class TestRealTime:
    async def test_background_ticker_finishes_tasks_on_wall_time(self, free_port: int) -> None:
        """With a running clock and short phases, a task ends by itself without being polled."""
        state = make_state(phases={t: PhaseDurations(0.02, 0.02, 0.05) for t in OutputKind})
        state.clock.set_frozen(False)
        async with run_emulator(state, port=free_port, tick_seconds=0.01):
            body = {"model": "z-image", "input": {"prompt": PROMPT, "aspect_ratio": "1:1"}}
            task = state.create_task(API_KEY, body)
            for _ in range(100):
                if state.tasks.get(task.id).state.is_terminal:
                    break
                await asyncio.sleep(0.02)
            assert state.tasks.get(task.id).state.value == "success"
