"""The KIE client's tunables: per-call timeouts and the retry policy (exponential backoff, full jitter).

Both are frozen dataclasses built once from settings and passed into `KieClient`; the client is the
one place that retries KIE calls (style.md: one configured retry site per dependency).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import aiohttp

from shared.backoff import Backoff

__all__ = ["KieTimeouts", "RetryPolicy"]


@dataclass(frozen=True, slots=True)
class KieTimeouts:
    """Seconds allowed per call; `connect` must stay below the totals.

    `connect` covers getting a connection (pool wait + TCP/TLS); expiring there means nothing was sent,
    which is what lets createTask retry it safely. `read` bounds each socket read; `total` bounds one
    attempt of an API call, `upload_total` one attempt of an upload.
    """

    connect: float = 5.0
    read: float = 20.0
    total: float = 30.0
    upload_total: float = 120.0

    def __post_init__(self) -> None:
        if min(self.connect, self.read, self.total, self.upload_total) <= 0:
            raise ValueError("KIE timeouts must be positive")
        if self.connect >= min(self.total, self.upload_total):
            raise ValueError("KIE connect timeout must be shorter than the total timeouts")

    def for_api(self) -> aiohttp.ClientTimeout:
        """The aiohttp timeout of one API attempt."""
        return aiohttp.ClientTimeout(total=self.total, connect=self.connect, sock_read=self.read)

    def for_upload(self) -> aiohttp.ClientTimeout:
        """The aiohttp timeout of one upload attempt (bodies are larger, so the total is longer)."""
        return aiohttp.ClientTimeout(total=self.upload_total, connect=self.connect, sock_read=self.read)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and full jitter.

    Attempt n (0-based) that fails retryably is followed by a sleep drawn uniformly from
    [0, min(max_delay, base_delay * 2**n)] ("full jitter"), so processes that failed together do not
    retry together. `max_attempts` counts the first try.
    """

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("retry delays must not be negative")

    def delay(self, attempt: int) -> float:
        """The sleep after failed attempt number `attempt` (0-based)."""
        return Backoff(self.base_delay, self.max_delay, jitter=True, rng=self.rng).delay(attempt)
