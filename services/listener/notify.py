"""Telling the admins: alerts collapsed into one Telegram message per window, sent with short timeouts.

A restart storm must not become a message storm (nor hit Telegram's flood limits): the first alert
opens a window of ``ALERT_COLLAPSE_SECONDS``, and everything that arrives before it closes goes into
the same message, one line per alert. Sending never raises: Telegram being down costs a logged warning,
the alerts themselves are in Redis already.
"""

from __future__ import annotations

import structlog

from shared.ops.alerts import Alert
from shared.telegram.botapi import BotApi, BotApiError

__all__ = ["MAX_LINES", "AlertBatcher", "TelegramNotifier", "render_batch"]

log = structlog.get_logger()

# One message stays far below Telegram's 4096 characters.
MAX_LINES = 20
_MAX_LINE_CHARS = 180


class AlertBatcher:
    """Collects alerts; a batch is due ``window`` seconds after its first alert arrived."""

    def __init__(self, window: float) -> None:
        self._window = window
        self._batch: list[Alert] = []
        self._opened_at = 0.0

    def add(self, alert: Alert, now: float) -> None:
        """Put ``alert`` in the open batch, opening one at ``now`` if there is none."""
        if not self._batch:
            self._opened_at = now
        self._batch.append(alert)

    def take_due(self, now: float) -> list[Alert]:
        """The batch if its window has passed at ``now`` (and start afresh), else nothing."""
        if not self._batch or now - self._opened_at < self._window:
            return []
        batch, self._batch = self._batch, []
        return batch

    def take_all(self) -> list[Alert]:
        """Whatever is waiting, due or not (on shutdown)."""
        batch, self._batch = self._batch, []
        return batch


def render_batch(alerts: list[Alert]) -> str:
    """One message: a headline, then one line per alert (at most :data:`MAX_LINES`)."""
    hosts = sorted({alert.host for alert in alerts})
    head = f"⚠️ TRT: {len(alerts)} alert(s) on {', '.join(hosts)}"
    lines = [f"• {_clip(alert.summary())}" for alert in alerts[:MAX_LINES]]
    if len(alerts) > MAX_LINES:
        lines.append(f"… and {len(alerts) - MAX_LINES} more (see the alerts stream)")
    return "\n".join([head, *lines])


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_LINE_CHARS else text[: _MAX_LINE_CHARS - 1] + "…"


class TelegramNotifier:
    """Sends a rendered batch to every admin chat through the Bot API."""

    def __init__(self, api: BotApi | None, admin_ids: frozenset[int], timeout: float = 5.0) -> None:
        self._api = api
        self._admins = sorted(admin_ids)
        self._timeout = timeout

    @property
    def enabled(self) -> bool:
        """False without a bot token or without ADMIN_IDS: alerts then live in Redis and the log only."""
        return self._api is not None and bool(self._admins)

    async def send(self, alerts: list[Alert]) -> int:
        """Send one message about ``alerts`` to each admin; return how many admins received it."""
        if not alerts or self._api is None:
            return 0
        text = render_batch(alerts)
        sent = 0
        for admin in self._admins:
            try:
                await self._api.call("sendMessage", {"chat_id": admin, "text": text}, seconds=self._timeout)
                sent += 1
            except BotApiError as exc:
                log.warning("admin_notify_failed", admin=admin, reason=str(exc), alerts=len(alerts))
        log.info("admins_notified", admins=sent, alerts=len(alerts))
        return sent
