"""Leader duties of the ingress: keep Telegram's webhook pointed at us, or poll getUpdates instead.

Only the leader does either, so two hosts never fight over the webhook and two pollers never collide
(Telegram's 409 Conflict). Both run under :func:`shared.lease.leadership.run_while_leader`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog

from shared.backoff import Backoff
from shared.inbox import InboxWriter
from shared.keys import Keys
from shared.telegram.botapi import BotApi, BotApiError

__all__ = ["ALLOWED_UPDATES", "Poller", "WebhookRegistrar"]

log = structlog.get_logger()

# The update types the bot's handlers use; Telegram sends nothing else.
ALLOWED_UPDATES = [
    "message",
    "edited_message",
    "callback_query",
    "inline_query",
    "pre_checkout_query",
    "my_chat_member",
]

# A failed registration is retried soon (the Bot API may still be starting), then less often.
_FIRST_RETRY_SECONDS = 1.0
_POLL_BACKOFF = Backoff(base=1.0, cap=30.0)

_OFFSET_ADVANCE = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1])
  return 1
end
return 0
"""


class WebhookRegistrar:
    """Sets the webhook when this host starts leading, then checks it every ``interval`` seconds.

    getWebhookInfo does not show the secret, so a webhook whose URL is right may still carry an old
    secret (after ``WEBHOOK_SECRET_TOKEN`` was rotated, every update would get 401). The settings are
    read once per process, so each registrar sets the webhook with its own secret on its first check,
    whatever Telegram reports: a restart with a rotated secret re-registers it.
    """

    def __init__(self, api: BotApi, url: str, secret: str, interval: float = 60.0) -> None:
        self._api = api
        self._url = url
        self._secret = secret
        self._interval = interval
        self._registered = False

    async def __call__(self, epoch: int) -> None:
        backoff, failures = Backoff(base=_FIRST_RETRY_SECONDS, cap=self._interval), 0
        while True:
            try:
                await self._ensure()
            except BotApiError as exc:
                retry = backoff.delay(failures)
                log.warning("webhook_registration_failed", reason=str(exc), epoch=epoch, retry_in_s=retry)
                await asyncio.sleep(retry)
                failures += 1
                continue
            failures = 0
            await asyncio.sleep(self._interval)

    async def _ensure(self) -> None:
        info = await self._api.call("getWebhookInfo")
        if self._registered and info.get("url") == self._url:
            return
        params = {
            "url": self._url,
            "secret_token": self._secret,
            "allowed_updates": ALLOWED_UPDATES,
            "max_connections": 40,
        }
        await self._api.call("setWebhook", params)
        self._registered = True
        log.info("webhook_registered", url=self._url)


class Poller:
    """Long-polls getUpdates and appends each update to the inbox; the offset advances only after."""

    def __init__(self, api: BotApi, inbox: InboxWriter, keys: Keys, poll_timeout: int = 25) -> None:
        self._api = api
        self._inbox = inbox
        self._keys = keys
        self._poll_timeout = poll_timeout

    async def __call__(self, epoch: int) -> None:
        redis = self._inbox.redis
        advance = redis.register_script(_OFFSET_ADVANCE)
        await self._api.call("deleteWebhook", {"drop_pending_updates": False})
        log.info("polling_started", epoch=epoch)
        failures = 0
        while True:
            offset = int(await redis.get(self._keys.polling_offset) or 0)
            try:
                updates = await self._fetch(offset)
            except BotApiError as exc:
                log.warning("polling_failed", reason=str(exc))
                await asyncio.sleep(exc.retry_after or _POLL_BACKOFF.delay(failures))
                failures += 1
                continue
            failures = 0
            for update in updates:
                await self._inbox.accept(update)
            if updates:
                await advance(keys=[self._keys.polling_offset], args=[updates[-1]["update_id"] + 1])

    async def _fetch(self, offset: int) -> list[dict[str, Any]]:
        params = {"offset": offset, "timeout": self._poll_timeout, "allowed_updates": ALLOWED_UPDATES}
        result = await self._api.call("getUpdates", params, seconds=self._poll_timeout + 10)
        return list(result)
