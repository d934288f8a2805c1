"""Webhook delivery the way Telegram does it.

Each pending update is POSTed as JSON to the webhook URL with the `X-Telegram-Bot-Api-Secret-Token`
header, and re-sent with bounded exponential backoff until the webhook answers 2xx. Updates of one
chat go one at a time, in update_id order (the next only after the previous got its 2xx); different
chats go concurrently, at most `max_connections` requests in flight. Without a webhook, updates stay
pending for getUpdates.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import aiohttp
import structlog

from .bot import BotState
from .errors import EmulatorError
from .model import Update, WebhookConfig

__all__ = ["DeliveryPolicy", "WebhookDispatcher"]

log = structlog.get_logger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(frozen=True)
class DeliveryPolicy:
    """Retry timing for webhook delivery; `max_attempts` None retries until a 2xx."""

    initial_backoff: float = 0.1
    max_backoff: float = 2.0
    request_timeout: float = 60.0
    max_attempts: int | None = None


class WebhookDispatcher:
    """Delivers one bot's pending updates to its webhook; `run` until cancelled by `stop`."""

    def __init__(self, bot: BotState, http: aiohttp.ClientSession, policy: DeliveryPolicy) -> None:
        self._bot = bot
        self._http = http
        self._policy = policy
        self._busy_chats: set[int] = set()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the dispatch loop; starting twice is an error."""
        if self._runner is not None:
            raise EmulatorError("webhook dispatcher already started")
        self._runner = asyncio.create_task(self._run(), name=f"telegram-emulator:webhook:{self._bot.user.id}")

    async def stop(self) -> None:
        """Cancel the loop and every delivery in flight, and wait for them to end."""
        tasks = [t for t in (self._runner, *self._in_flight) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._runner = None

    async def _run(self) -> None:
        """Start deliveries whenever updates arrive, the webhook changes or a chat frees up."""
        signal = self._bot.update_signal
        while True:
            generation = signal.generation
            self._start_ready()
            await signal.wait(generation, None)

    def _start_ready(self) -> None:
        """Start the oldest pending update of every idle chat, within max_connections."""
        webhook = self._bot.webhook
        if webhook is None:
            return
        for update in list(self._bot.pending):
            if len(self._in_flight) >= webhook.max_connections:
                return
            if update.chat_key in self._busy_chats:
                continue
            self._busy_chats.add(update.chat_key)
            task = asyncio.create_task(
                self._deliver(update), name=f"telegram-emulator:update:{update.update_id}"
            )
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _deliver(self, update: Update) -> None:
        """POST until 2xx (or the webhook goes away, or max_attempts is spent)."""
        delay = self._policy.initial_backoff
        try:
            while (webhook := self._bot.webhook) is not None:
                if await self._attempt(webhook, update):
                    self._bot.webhook_stats.delivered += 1
                    self._bot.mark_delivered(update)
                    return
                if self._policy.max_attempts is not None and update.attempts >= self._policy.max_attempts:
                    log.warning("webhook_gave_up", update_id=update.update_id, attempts=update.attempts)
                    self._bot.mark_delivered(update)
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._policy.max_backoff)
        finally:
            # Free the slot before waking the dispatch loop, or it would still count this task.
            self._busy_chats.discard(update.chat_key)
            current = asyncio.current_task()
            if current is not None:
                self._in_flight.discard(current)
            self._bot.update_signal.notify()

    async def _attempt(self, webhook: WebhookConfig, update: Update) -> bool:
        """One POST; True on 2xx. Failures are counted and shown by getWebhookInfo."""
        update.attempts += 1
        stats = self._bot.webhook_stats
        stats.attempts += 1
        headers = {SECRET_HEADER: webhook.secret_token} if webhook.secret_token else {}
        timeout = aiohttp.ClientTimeout(total=self._policy.request_timeout)
        try:
            async with self._http.post(
                webhook.url, json=update.to_api(), headers=headers, timeout=timeout
            ) as resp:
                await resp.read()
                if 200 <= resp.status < 300:
                    return True
                error = f"Wrong response from the webhook: {resp.status} {resp.reason or ''}".rstrip()
        except TimeoutError:
            error = "Read timeout expired"
        except aiohttp.ClientError as exc:
            error = f"Connection failed: {exc.__class__.__name__}"
        stats.failures += 1
        stats.last_error_date = self._bot.now()
        stats.last_error_message = error
        return False
