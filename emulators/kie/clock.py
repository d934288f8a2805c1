"""The emulator's controllable clock: wall time plus an offset, or a frozen time moved only by hand."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["EmulatorClock"]


class EmulatorClock:
    """Seconds since the epoch as the emulator sees them.

    Running (default): the wall clock plus whatever `advance` added. Frozen: a fixed instant that only
    `advance` moves, so tests decide exactly when tasks change state.
    """

    def __init__(
        self, *, frozen: bool = False, start: float | None = None, source: Callable[[], float] = time.time
    ) -> None:
        self._source = source
        self._frozen = frozen
        self._base = source() if start is None else start
        self._offset = 0.0

    @property
    def frozen(self) -> bool:
        """Whether time stands still until advanced."""
        return self._frozen

    def now(self) -> float:
        """The current emulator time in seconds."""
        return (self._base if self._frozen else self._source()) + self._offset

    def now_ms(self) -> int:
        """The current emulator time in Unix milliseconds (KIE's timestamp unit)."""
        return int(self.now() * 1000)

    def advance(self, seconds: float) -> float:
        """Move time forward; return the new time."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._offset += seconds
        return self.now()

    def set_frozen(self, frozen: bool) -> None:
        """Freeze at the current instant, or let it run again from the current instant."""
        if frozen == self._frozen:
            return
        current = self.now()
        self._frozen = frozen
        self._offset = 0.0
        self._base = current if frozen else self._base
        if not frozen:
            self._offset = current - self._source()
