"""The one backoff: exponential delays with a cap and optional full jitter, used by every retry loop.

Attempt ``n`` (0-based) waits ``min(cap, base * 2**n)``; with ``jitter`` the wait is drawn uniformly
from ``[0, that]`` ("full jitter"), so processes that failed together do not retry together.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

__all__ = ["Backoff"]

_MAX_EXPONENT = 30  # 2**30 times any sane base is past every cap; keeps the float finite


@dataclass(frozen=True, slots=True)
class Backoff:
    """How long to wait after the ``n``-th consecutive failure."""

    base: float
    cap: float
    jitter: bool = False
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.base < 0 or self.cap < 0:
            raise ValueError("backoff delays must not be negative")

    def delay(self, attempt: int) -> float:
        """The wait after failed attempt number ``attempt`` (0-based)."""
        ceiling = min(self.cap, self.base * 2 ** min(max(attempt, 0), _MAX_EXPONENT))
        return self.rng.uniform(0.0, ceiling) if self.jitter else ceiling
