"""Prometheus metrics. Each program serves its own registry (one scrape target per process).

Metrics are process-wide by nature, like logging configuration: defining them once here keeps every
name and label in one reviewable place.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "ALERTS",
    "CALLBACKS_DEAD_LETTERED",
    "CATALOG_MODELS_DISAPPEARED",
    "CRASHGUARD_STOPS",
    "HANDLER_SECONDS",
    "INBOX_DEAD_LETTERS",
    "INBOX_LAG",
    "INBOX_LENGTH",
    "INBOX_OLDEST_PENDING_SECONDS",
    "INBOX_PENDING",
    "KIE_CREDITS",
    "KIE_CREDITS_LOW",
    "LEADER",
    "LEASE_EPOCH",
    "PROGRAM_EXITS",
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
CALLBACKS_DEAD_LETTERED = Counter(
    "trt_callbacks_dead_lettered_total", "KIE callbacks moved to their dead-letter stream"
)
HANDLER_SECONDS = Histogram("trt_handler_seconds", "Time to handle one update")
TELEGRAM_CALLS = Counter("trt_telegram_calls_total", "Outgoing Bot API calls", ["method", "outcome"])
LEADER = Gauge("trt_leader", "1 while this process's host holds the leader lease")
LEASE_EPOCH = Gauge("trt_lease_epoch", "Epoch of the leader term this host last saw published")

# Inbox gauges, refreshed by each host's lock keeper (every host sees the same stream: alert on max()).
INBOX_LENGTH = Gauge("trt_inbox_length", "Entries in the inbox stream")
INBOX_LAG = Gauge("trt_inbox_lag", "Inbox entries not yet delivered to the bot group")
INBOX_PENDING = Gauge("trt_inbox_pending", "Inbox entries delivered but not acknowledged")
INBOX_OLDEST_PENDING_SECONDS = Gauge(
    "trt_inbox_oldest_pending_seconds", "Age of the oldest unacknowledged inbox entry"
)
INBOX_DEAD_LETTERS = Gauge("trt_inbox_dead_letters", "Entries in the dead-letter stream")

# The crash guard (supervisord event listener) of each host.
PROGRAM_EXITS = Counter("trt_program_exits_total", "Unexpected exits and failed starts", ["program", "kind"])
CRASHGUARD_STOPS = Counter("trt_crashguard_stops_total", "Programs stopped for crash looping", ["program"])
ALERTS = Counter("trt_alerts_total", "Operator alerts published", ["kind"])

# The model catalogue and the KIE account, set by warmup's leader duties.
CATALOG_MODELS_DISAPPEARED = Gauge(
    "trt_catalog_models_disappeared", "Registry models KIE's catalogue no longer lists (last refresh)"
)
KIE_CREDITS = Gauge("trt_kie_credits", "KIE account credit balance as last read")
KIE_CREDITS_LOW = Gauge("trt_kie_credits_low", "1 while the KIE balance is below KIE_LOW_BALANCE_CREDITS")
