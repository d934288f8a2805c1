"""The crash guard's process: the protocol thread, one event loop, and the clients it is given.

The listener is not a :class:`shared.process.Program`: its stdout belongs to supervisord's protocol and
it must keep answering even when Redis is down, so it builds its own, smaller lifecycle: settings →
logging → clients (none of which is contacted at start) → the protocol thread → handle events until
SIGTERM or end of input → send what is waiting → exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

import redis.asyncio as aioredis
import structlog

from services.listener.app import Crashguard
from services.listener.guard import CrashGuard
from services.listener.notify import AlertBatcher, TelegramNotifier
from services.listener.protocol import ListenerProtocol, SupervisorEvent
from services.listener.recorder import AlertRecorder
from services.listener.relay import AlertRelay
from shared.heartbeat import Heartbeat, ProcessState
from shared.identity import ProcessIdentity
from shared.keys import Keys
from shared.ops.alerts import AlertLog
from shared.ops.metrics_server import serve_metrics
from shared.ops.supervisor import SupervisorClient
from shared.redis import create_redis
from shared.settings import Settings
from shared.telegram.client import build_botapi

__all__ = ["serve"]

if TYPE_CHECKING:
    import aiohttp

log = structlog.get_logger()


async def serve(settings: Settings, identity: ProcessIdentity, protocol: ListenerProtocol) -> int:
    """Run the crash guard until SIGTERM/SIGINT or until supervisord closes the listener's stdin."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    events: asyncio.Queue[SupervisorEvent] = asyncio.Queue()
    async with _clients(settings, identity, stop) as crashguard:
        _start_protocol(protocol, loop, events, stop)
        log.info(
            "crashguard_listening",
            intensity=settings.RESTART_INTENSITY,
            period_s=settings.RESTART_PERIOD_SECONDS,
        )
        await crashguard.run(events, stop)
    log.info("crashguard_stopped")
    return 0


def _start_protocol(
    protocol: ListenerProtocol,
    loop: asyncio.AbstractEventLoop,
    events: asyncio.Queue[SupervisorEvent],
    stop: asyncio.Event,
) -> threading.Thread:
    def deliver(event: SupervisorEvent) -> None:
        loop.call_soon_threadsafe(events.put_nowait, event)

    def serve_protocol() -> None:
        try:
            protocol.serve(deliver)
        finally:
            with contextlib.suppress(RuntimeError):  # the loop may already be closed at exit
                loop.call_soon_threadsafe(stop.set)

    # A daemon: a thread blocked on stdin must not keep the process alive after the loop has finished.
    thread = threading.Thread(target=serve_protocol, name="crashguard:protocol", daemon=True)
    thread.start()
    return thread


@asynccontextmanager
async def _clients(
    settings: Settings, identity: ProcessIdentity, stop: asyncio.Event
) -> AsyncIterator[Crashguard]:
    async with AsyncExitStack() as stack:
        redis = create_redis(settings, read_timeout=3.0)
        stack.push_async_callback(redis.aclose)
        session = _LazySession()
        stack.push_async_callback(session.aclose)
        await stack.enter_async_context(serve_metrics(settings, identity))
        keys = Keys(settings.REDIS_KEY_PREFIX)
        heartbeat = Heartbeat(redis, keys, identity, settings.HEARTBEAT_INTERVAL_SECONDS)
        heartbeat.set_state(ProcessState.RUNNING)
        beating = asyncio.create_task(heartbeat.run(stop), name="crashguard:heartbeat")
        stack.push_async_callback(_stop_heartbeat, heartbeat, beating, stop)
        yield _crashguard(settings, identity, keys, redis, session)


def _crashguard(
    settings: Settings,
    identity: ProcessIdentity,
    keys: Keys,
    redis: aioredis.Redis,
    session: _LazySession,
) -> Crashguard:
    api = None
    if settings.TELEGRAM_BOT_TOKEN is not None and settings.TELEGRAM_BOT_TOKEN.get_secret_value():
        api = build_botapi(settings, session.get)
    notifier = TelegramNotifier(api, settings.ADMIN_IDS)
    if not notifier.enabled:
        log.warning("admin_alerts_disabled", reason="TELEGRAM_BOT_TOKEN or ADMIN_IDS not set")
    url = settings.SUPERVISOR_SERVER_URL
    if url is None:
        log.warning("crashguard_without_supervisor", reason="SUPERVISOR_SERVER_URL not set: cannot stop")
    return Crashguard(
        CrashGuard(
            identity.host, settings.RESTART_INTENSITY, settings.RESTART_PERIOD_SECONDS, identity.group
        ),
        SupervisorClient(url) if url else None,
        AlertRecorder(AlertLog(redis, keys)),
        notifier,
        AlertBatcher(settings.ALERT_COLLAPSE_SECONDS),
        AlertRelay(redis, keys, identity.host),
    )


class _LazySession:
    """The HTTP session for admin alerts, opened at the first one: most crash guards never send any,
    and aiohttp is several MiB of every process that imports it."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def get(self) -> aiohttp.ClientSession:
        """The session, opened on first use (inside the running loop, where the first alert is sent)."""
        if self._session is None:
            import aiohttp

            self._session = aiohttp.ClientSession()
        return self._session

    async def aclose(self) -> None:
        """Close the session if one was opened."""
        if self._session is not None:
            await self._session.close()


async def _stop_heartbeat(heartbeat: Heartbeat, beating: asyncio.Task[None], stop: asyncio.Event) -> None:
    stop.set()
    await beating
    await heartbeat.clear()
