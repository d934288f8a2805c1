"""Delivering task callbacks to `callBackUrl` (kie-api.md §2.4, §7, §8.8).

Each final task is POSTed once (or twice when its duplicate fault fired, or never when its callback
is to be lost). A non-2xx answer, a timeout or a connection error is retried after each of
`CallbackPolicy.retry_delays`, then delivery stops. With an HMAC key, every attempt carries
`X-Webhook-Timestamp` (wall-clock Unix seconds, since receivers check freshness against their own
clock) and `X-Webhook-Signature` = base64(HMAC-SHA256(key, taskId + "." + timestamp)), as KIE's
"Webhook Security Verification" page (docs.kie.ai/common-api/webhook-verification) defines it.
A task may have several callbacks (Suno's text / first / complete stages); each is one delivery.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import structlog

from .clock import EmulatorClock
from .config import CallbackPolicy
from .model import CallbackAttempt, Task

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "CallbackSender", "webhook_signature"]

log = structlog.get_logger(__name__)

TIMESTAMP_HEADER = "X-Webhook-Timestamp"
SIGNATURE_HEADER = "X-Webhook-Signature"


def webhook_signature(task_id: str, timestamp: str, key: str) -> str:
    """KIE's documented signature: base64 of HMAC-SHA256 over "taskId.timestamp" with the HMAC key."""
    digest = hmac.new(key.encode(), f"{task_id}.{timestamp}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class CallbackSender:
    """Sends callbacks on its own tracked tasks; `stop()` cancels and awaits what is in flight."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        policy: CallbackPolicy,
        clock: EmulatorClock,
        record: Callable[[CallbackAttempt], None],
        *,
        hmac_key: str | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._session = session
        self._policy = policy
        self._clock = clock
        self._record = record
        self._hmac_key = hmac_key
        self._wall = wall
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopped = False

    def send(self, task: Task, payload: dict[str, Any], stage: str = "final") -> None:
        """Start delivering one callback body of a task (no-op without a callBackUrl).

        The task's lose/duplicate faults apply to its final callback; staged ones always go once.
        """
        url = task.callback_url
        if url is None or self._stopped:
            return
        final = stage == "final"
        if task.lose_callback and final:
            self._record(self._attempt(task.id, url, 0, False, None, lost=True, stage=stage))
            log.info("kie_emulator_callback_lost", task_id=task.id)
            return
        body = json.dumps(payload, ensure_ascii=False).encode()
        self._spawn(self._deliver(task.id, url, body, stage, duplicate=False), task.id)
        if task.duplicate_callback and final:
            self._spawn(self._deliver(task.id, url, body, stage, duplicate=True), task.id)

    @property
    def in_flight(self) -> int:
        """Deliveries still running."""
        return len(self._tasks)

    async def drain(self, seconds: float) -> bool:
        """Wait until no delivery is running; False when `seconds` passed first."""
        try:
            async with asyncio.timeout(seconds):
                while self._tasks:
                    await asyncio.gather(*list(self._tasks), return_exceptions=True)
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        """Cancel deliveries in flight and wait for them; later `send` calls do nothing."""
        self._stopped = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _spawn(self, coroutine: Any, task_id: str) -> None:
        task = asyncio.get_running_loop().create_task(coroutine, name=f"kie-emulator:callback:{task_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, task_id: str, url: str, body: bytes, stage: str, *, duplicate: bool) -> None:
        if duplicate:
            await asyncio.sleep(self._policy.duplicate_delay)
        delays = (*self._policy.retry_delays, None)
        for number, delay in enumerate(delays, start=1):
            status, error, signed = await self._post(task_id, url, body)
            attempt = self._attempt(
                task_id, url, number, duplicate, status, error=error, signed=signed, stage=stage
            )
            self._record(attempt)
            if status is not None and 200 <= status < 300:
                return
            if delay is None:
                log.warning("kie_emulator_callback_gave_up", task_id=task_id, attempts=number)
                return
            await asyncio.sleep(delay)

    async def _post(self, task_id: str, url: str, body: bytes) -> tuple[int | None, str | None, bool]:
        headers = {"Content-Type": "application/json"}
        if self._hmac_key:
            stamp = str(int(self._wall()))
            headers[TIMESTAMP_HEADER] = stamp
            headers[SIGNATURE_HEADER] = webhook_signature(task_id, stamp, self._hmac_key)
        timeout = aiohttp.ClientTimeout(total=self._policy.timeout)
        try:
            async with self._session.post(url, data=body, headers=headers, timeout=timeout) as resp:
                await resp.read()
                return resp.status, None, bool(self._hmac_key)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return None, f"{type(exc).__name__}: {exc}".rstrip(": "), bool(self._hmac_key)

    def _attempt(
        self,
        task_id: str,
        url: str,
        number: int,
        duplicate: bool,
        status: int | None,
        *,
        error: str | None = None,
        lost: bool = False,
        signed: bool = False,
        stage: str = "final",
    ) -> CallbackAttempt:
        return CallbackAttempt(
            task_id=task_id,
            url=url,
            at=self._clock.now(),
            attempt=number,
            duplicate=duplicate,
            status=status,
            error=error,
            lost=lost,
            signed=signed,
            stage=stage,
        )
