"""Small asyncio helpers shared by every program's loops."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TypeVar

__all__ = ["first_of", "raise_if_cancelling", "unless_stopped", "wait_stopped"]

T = TypeVar("T")


async def wait_stopped(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep up to ``seconds``, waking at once when ``stop`` is set. Returns whether it is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), max(0.0, seconds))
    return stop.is_set()


async def first_of(*awaitables: Awaitable[object]) -> None:
    """Wait until the first of ``awaitables`` completes; cancel and await the rest."""
    tasks = [asyncio.ensure_future(item) for item in awaitables]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def unless_stopped(awaitable: Awaitable[T], stop: asyncio.Event) -> T | None:
    """The result of ``awaitable``, or None as soon as ``stop`` is set (the awaitable is then cancelled).

    For blocking reads (a stream read with BLOCK, a pub/sub wait): a stop does not wait out their
    timeout. A result that is ready when ``stop`` is set is still returned, never dropped.
    """
    task = asyncio.ensure_future(awaitable)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait((task, stopping), return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        if not task.done():
            task.cancel()
            await asyncio.wait((task,))
    return None if task.cancelled() else task.result()


def raise_if_cancelling() -> None:
    """Raise CancelledError if the current task is being cancelled. For retry loops: a library may turn
    the task's cancellation into an error, or swallow it, and the loop must end all the same (seen on
    Python 3.11, where a cancelled duty went on retrying with its cancel request still pending)."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
