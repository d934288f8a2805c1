"""Small asyncio helpers shared by every program's loops."""

from __future__ import annotations

import asyncio
import contextlib

__all__ = ["wait_stopped"]


async def wait_stopped(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep up to ``seconds``, waking at once when ``stop`` is set. Returns whether it is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), max(0.0, seconds))
    return stop.is_set()
