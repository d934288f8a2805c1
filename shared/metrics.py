"""Prometheus metrics. Each program serves its own registry (one scrape target per process).

Metrics are process-wide by nature, like logging configuration: defining them once here keeps every
name and label in one reviewable place.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "HANDLER_SECONDS",
    "LEADER",
    "TELEGRAM_CALLS",
    "UPDATES_DEAD_LETTERED",
    "UPDATES_DUPLICATE",
    "UPDATES_HANDLED",
    "UPDATES_RECEIVED",
    "UPDATES_REJECTED",
]

UPDATES_RECEIVED = Counter("trt_updates_received_total", "Updates accepted into the inbox")
UPDATES_DUPLICATE = Counter("trt_updates_duplicate_total", "Updates dropped as already accepted")
UPDATES_REJECTED = Counter("trt_updates_rejected_total", "Webhook requests refused", ["status"])
UPDATES_HANDLED = Counter("trt_updates_handled_total", "Updates handled and acknowledged")
UPDATES_DEAD_LETTERED = Counter("trt_updates_dead_lettered_total", "Updates moved to the dead-letter stream")
HANDLER_SECONDS = Histogram("trt_handler_seconds", "Time to handle one update")
TELEGRAM_CALLS = Counter("trt_telegram_calls_total", "Outgoing Bot API calls", ["method", "outcome"])
LEADER = Gauge("trt_leader", "1 while this process's host holds the leader lease")
