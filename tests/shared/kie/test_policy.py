"""Timeouts and retry policy: validation and full-jitter backoff bounds."""

from __future__ import annotations

import random

import pytest

from shared.kie import KieTimeouts, RetryPolicy


class TestRetryPolicy:
    """Backoff is exponential with full jitter and capped."""

    def test_delays_stay_within_the_jitter_ceiling(self) -> None:
        """Attempt n sleeps within [0, min(max_delay, base * 2**n)]."""
        policy = RetryPolicy(max_attempts=6, base_delay=0.5, max_delay=4.0, rng=random.Random(7))
        for attempt in range(6):
            ceiling = min(4.0, 0.5 * 2**attempt)
            samples = [policy.delay(attempt) for _ in range(200)]
            assert all(0.0 <= s <= ceiling for s in samples)
            assert max(samples) > ceiling * 0.8  # the full range is used, not a fixed delay

    @pytest.mark.parametrize("kwargs", [{"max_attempts": 0}, {"base_delay": -1.0}, {"max_delay": -1.0}])
    def test_invalid_policy_is_rejected(self, kwargs: dict[str, float]) -> None:
        """Zero attempts or negative delays raise ValueError."""
        with pytest.raises(ValueError):
            RetryPolicy(**kwargs)


class TestTimeouts:
    """Timeouts are positive and connect is shorter than the totals."""

    def test_aiohttp_timeouts_carry_the_values(self) -> None:
        """for_api and for_upload build aiohttp timeouts with connect, read and total."""
        timeouts = KieTimeouts(connect=1, read=2, total=3, upload_total=9)
        api, upload = timeouts.for_api(), timeouts.for_upload()
        assert (api.connect, api.sock_read, api.total) == (1, 2, 3)
        assert upload.total == 9

    @pytest.mark.parametrize("kwargs", [{"connect": 0}, {"connect": 40.0}, {"total": -1}])
    def test_invalid_timeouts_are_rejected(self, kwargs: dict[str, float]) -> None:
        """Non-positive values or a connect timeout longer than a total raise ValueError."""
        with pytest.raises(ValueError):
            KieTimeouts(**kwargs)
