"""Per-key credit balances and KIE's request-rate limits (kie-api.md §5.1, §7)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping

from .errors import EmulatorError

__all__ = ["Accounts", "SlidingWindow", "as_number"]


def as_number(value: float) -> int | float:
    """A balance as KIE shows it: an integer when whole."""
    return int(value) if float(value).is_integer() else value


class Accounts:
    """The API keys the emulator accepts and each key's credit balance."""

    def __init__(self, initial: Mapping[str, float]) -> None:
        self._initial = dict(initial)
        self._balances = dict(initial)

    def known(self, api_key: str) -> bool:
        """Whether the key is accepted."""
        return api_key in self._balances

    def balance(self, api_key: str) -> float:
        """The key's balance; EmulatorError for an unknown key."""
        try:
            return self._balances[api_key]
        except KeyError:
            raise EmulatorError("unknown API key") from None

    def set(self, api_key: str, credits: float) -> None:
        """Set a key's balance, adding the key when new."""
        if not api_key:
            raise EmulatorError("api_key must not be empty")
        if credits < 0:
            raise EmulatorError("credits must not be negative")
        self._balances[api_key] = float(credits)

    def debit(self, api_key: str, amount: float) -> None:
        """Take credits from a key (never below zero)."""
        self._balances[api_key] = max(0.0, self.balance(api_key) - amount)

    def snapshot(self) -> dict[str, int | float]:
        """Every key with its balance."""
        return {key: as_number(value) for key, value in self._balances.items()}

    def reset(self) -> None:
        """Back to the starting keys and balances."""
        self._balances = dict(self._initial)


class SlidingWindow:
    """At most `limit` events per `window` seconds per key (None: unlimited), on a monotonic clock."""

    def __init__(
        self, limit: int | None, window: float, source: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = limit
        self._window = window
        self._source = source
        self._events: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        """Count one event for `key`; False (not counted) when the window is full."""
        if self._limit is None:
            return True
        now = self._source()
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self._window:
            events.popleft()
        if len(events) >= self._limit:
            return False
        events.append(now)
        return True

    def reset(self) -> None:
        """Forget every counted event."""
        self._events.clear()
