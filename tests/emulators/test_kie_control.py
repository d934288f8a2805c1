"""KIE emulator control API over HTTP, and the command line."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from emulators.kie import KieState, RunningEmulator, run_emulator
from tests.emulators.kie_support import API_KEY, PROMPT, kie_client, make_state


@pytest.fixture(name="state")
def _state() -> KieState:
    return make_state(credits=500.0)


@pytest.fixture(name="emulator")
async def _emulator(state: KieState, free_port: int) -> AsyncIterator[RunningEmulator]:
    async with run_emulator(state, port=free_port) as running:
        yield running


@pytest.fixture(name="control")
async def _control(emulator: RunningEmulator) -> AsyncIterator[Any]:
    async with aiohttp.ClientSession() as http:

        async def call(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
            async with http.request(method, f"{emulator.url}/_emulator/{path}", json=body) as resp:
                answer = await resp.json()
            if not answer["ok"]:
                raise AssertionError(answer["description"])
            return answer["result"]

        yield call


class TestControlApi:
    async def test_set_credits_adds_a_key(self, emulator: RunningEmulator, control: Any) -> None:
        """Setting credits for a new key makes it valid with that balance."""
        await control("POST", "credits", {"api_key": "fresh-key", "credits": 42})
        async with kie_client(emulator.url, api_key="fresh-key") as client:
            assert await client.credit_balance() == 42
        assert (await control("GET", "credits"))["fresh-key"] == 42

    async def test_tasks_can_be_listed_and_ended(self, emulator: RunningEmulator, control: Any) -> None:
        """Tasks are listed with their state; complete and fail end them now."""
        async with kie_client(emulator.url) as client:
            first = await client.create_task("nano-banana-2", {"prompt": PROMPT})
            second = await client.create_task("nano-banana-2", {"prompt": PROMPT})
        assert [t["state"] for t in await control("GET", "tasks")] == ["waiting", "waiting"]
        assert (await control("POST", f"tasks/{first}/advance"))["state"] == "queuing"
        assert (await control("POST", f"tasks/{first}/complete"))["state"] == "success"
        failed = await control("POST", f"tasks/{second}/fail", {"failCode": "400", "failMsg": "policy"})
        assert (failed["state"], failed["failCode"], failed["failMsg"]) == ("fail", "400", "policy")
        assert [t["taskId"] for t in await control("GET", "tasks?state=success")] == [first]

    async def test_clock_advance_ends_tasks(self, emulator: RunningEmulator, control: Any) -> None:
        """Advancing the clock reports the tasks that ended."""
        async with kie_client(emulator.url) as client:
            task_id = await client.create_task("nano-banana-2", {"prompt": PROMPT})
        moved = await control("POST", "clock", {"advance": 60})
        assert moved["frozen"] is True and moved["ended"] == [task_id]

    async def test_faults_are_set_listed_and_cleared(self, emulator: RunningEmulator, control: Any) -> None:
        """A fault rule added over HTTP fires on the next call and is listed until used up."""
        await control("POST", "faults", {"endpoint": "credit", "kind": "error", "code": 433, "count": 1})
        await control("POST", "faults/tasks", {"fail_fraction": 0.5, "seed": 3})
        listed = await control("GET", "faults")
        assert listed["rules"][0]["code"] == 433 and listed["tasks"]["fail_fraction"] == 0.5
        async with aiohttp.ClientSession() as http:
            headers = {"Authorization": f"Bearer {API_KEY}"}
            async with http.get(f"{emulator.url}/api/v1/chat/credit", headers=headers) as resp:
                assert (await resp.json())["code"] == 433
        cleared = await control("DELETE", "faults")
        assert cleared["rules"] == [] and cleared["tasks"]["fail_fraction"] == 0

    async def test_calls_are_recorded(self, emulator: RunningEmulator, control: Any) -> None:
        """Every API call is listed with endpoint, model, taskId and code; keys appear only as hints."""
        async with kie_client(emulator.url) as client:
            task_id = await client.create_task("nano-banana-2", {"prompt": PROMPT})
            await client.record_info(task_id)
        calls = await control("GET", "calls")
        assert [(c["endpoint"], c["model"], c["taskId"], c["code"]) for c in calls] == [
            ("createTask", "nano-banana-2", task_id, 200),
            ("recordInfo", "nano-banana-2", task_id, 200),
        ]
        assert API_KEY not in str(calls)
        assert len(await control("GET", "calls?endpoint=recordInfo")) == 1

    async def test_reset_restores_the_start(self, emulator: RunningEmulator, control: Any) -> None:
        """reset forgets tasks and records and restores balances."""
        async with kie_client(emulator.url) as client:
            task_id = await client.create_task("nano-banana-2", {"prompt": PROMPT})
        await control("POST", f"tasks/{task_id}/complete")
        summary = await control("POST", "reset")
        assert summary["tasks"]["success"] == 0 and summary["calls"] == 0
        assert (await control("GET", "credits"))[API_KEY] == 500

    async def test_refusals_are_400(self, emulator: RunningEmulator) -> None:
        """An unknown task or a bad fault rule answers 400 with a description."""
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{emulator.url}/_emulator/tasks/nope/complete") as resp:
                assert resp.status == 400 and "nope" in (await resp.json())["description"]
            async with http.post(
                f"{emulator.url}/_emulator/faults", json={"endpoint": "x", "kind": "429"}
            ) as resp:
                assert resp.status == 400


class TestCommandLine:
    async def test_module_serves_and_stops_on_sigterm(self, free_port: int) -> None:
        """`python -m emulators.kie` prints its address, serves the given key, exits 0 on SIGTERM."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "emulators.kie",
            "--port",
            str(free_port),
            "--api-key",
            "cli-key=12",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            assert process.stdout is not None
            line = await asyncio.wait_for(process.stdout.readline(), 20)
            assert line.decode().strip() == f"kie emulator listening on http://127.0.0.1:{free_port}"
            async with kie_client(f"http://127.0.0.1:{free_port}", api_key="cli-key") as client:
                assert await client.credit_balance() == 12
        finally:
            process.terminate()
            assert await asyncio.wait_for(process.wait(), 10) == 0
