"""A broadcast change signal for waiters (long polls, the webhook dispatcher, the web chat)."""

from __future__ import annotations

import asyncio

__all__ = ["ChangeSignal"]


class ChangeSignal:
    """Wakes every current waiter on `notify`; waiters that arrive later wait for the next one.

    Each notification swaps in a fresh event, so one waiter can never swallow a wake-up meant for
    another. A waiter should take `generation` before checking its condition, then `wait(generation)`.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._generation = 0

    @property
    def generation(self) -> int:
        """Counts notifications so far."""
        return self._generation

    def notify(self) -> None:
        """Wake everyone waiting now."""
        self._generation += 1
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait(self, generation: int, seconds: float | None) -> bool:
        """Wait until a notification after `generation`; False when `seconds` passed first."""
        if self._generation != generation:
            return True
        try:
            async with asyncio.timeout(seconds):
                await self._event.wait()
        except TimeoutError:
            return False
        return True
