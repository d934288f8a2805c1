"""``unless_stopped``: a blocking read ends at once when its program stops, and no ready result is dropped."""

from __future__ import annotations

import asyncio

from shared.aio import unless_stopped


class TestUnlessStopped:
    async def test_returns_the_result_when_it_comes_first(self) -> None:
        stop = asyncio.Event()
        assert await unless_stopped(asyncio.sleep(0.01, result="entries"), stop) == "entries"

    async def test_a_stop_ends_the_wait_and_cancels_the_read(self) -> None:
        stop = asyncio.Event()
        read = asyncio.ensure_future(asyncio.sleep(30, result="late"))
        asyncio.get_running_loop().call_later(0.05, stop.set)
        assert await unless_stopped(read, stop) is None
        assert read.cancelled()

    async def test_a_result_ready_at_the_stop_is_kept(self) -> None:
        stop = asyncio.Event()
        ready = asyncio.get_running_loop().create_future()
        ready.set_result("entries")
        stop.set()
        assert await unless_stopped(ready, stop) == "entries"

    async def test_an_error_of_the_read_is_raised(self) -> None:
        async def failing() -> None:
            raise ConnectionError("redis went away")

        stop = asyncio.Event()
        try:
            await unless_stopped(failing(), stop)
        except ConnectionError as exc:
            assert "redis" in str(exc)
        else:
            raise AssertionError("the read's error was swallowed")
