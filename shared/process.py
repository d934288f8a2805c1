"""The lifecycle every TRT program shares: settings → logging → connections → serve → ordered stop.

A program is a :class:`Program`: a name, an optional preflight check of its settings, and a ``serve``
coroutine that runs until the runtime's stop event is set and then stops its own work. :func:`run`
owns the single event loop of the process (one ``asyncio.Runner``, uvloop unless EVENT_LOOP=asyncio),
turns SIGTERM/SIGINT into that stop event, beats the heartbeat, and returns the exit code supervisord
sees.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

import redis.asyncio as aioredis
import structlog
import uvloop
from psycopg_pool import AsyncConnectionPool
from redis.exceptions import RedisError

from shared.aio import wait_stopped
from shared.backoff import Backoff
from shared.db import open_pool
from shared.errors import ConfigError
from shared.exitcodes import EXIT_CONFIG, EXIT_FAILURE, EXIT_UNAVAILABLE
from shared.heartbeat import Heartbeat, ProcessState
from shared.identity import ProcessIdentity
from shared.keys import Keys
from shared.logging import configure_logging
from shared.ops.health import host_details
from shared.ops.metrics_server import serve_metrics
from shared.redis import create_redis
from shared.settings import EventLoop, Settings, load_settings

__all__ = ["EXIT_CONFIG", "EXIT_FAILURE", "EXIT_UNAVAILABLE", "Program", "Runtime", "run"]

log = structlog.get_logger()


@dataclass(slots=True)
class Runtime:
    """What a running program is given: settings, identity, clients, and the stop event."""

    settings: Settings
    identity: ProcessIdentity
    keys: Keys
    redis: aioredis.Redis
    db: AsyncConnectionPool | None
    heartbeat: Heartbeat
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def set_state(self, state: ProcessState) -> None:
        self.heartbeat.set_state(state)


Serve = Callable[[Runtime], Awaitable[None]]


def _no_check(settings: Settings) -> None:
    """Programs with no extra requirement accept any valid settings."""


@dataclass(frozen=True, slots=True)
class Program:
    name: str
    serve: Serve
    check: Callable[[Settings], None] = _no_check
    needs_db: bool = True


def run(program: Program) -> int:
    """Run ``program`` to completion in this process and return its exit code."""
    try:
        settings = load_settings()
        program.check(settings)
    except ConfigError as exc:
        sys.stderr.write(f"{program.name}: configuration error: {exc}\n")
        return EXIT_CONFIG
    configure_logging(program.name, settings.LOG_LEVEL, settings.LOG_FORMAT, settings.secret_values())
    identity = ProcessIdentity.of(program.name, settings)
    structlog.contextvars.bind_contextvars(process=identity.ctl_name, host=identity.host)
    with asyncio.Runner(loop_factory=_loop_factory(settings)) as runner:
        return runner.run(_lifecycle(program, settings, identity))


def _loop_factory(settings: Settings) -> Callable[[], asyncio.AbstractEventLoop]:
    return uvloop.new_event_loop if settings.EVENT_LOOP is EventLoop.UVLOOP else asyncio.new_event_loop


async def _lifecycle(program: Program, settings: Settings, identity: ProcessIdentity) -> int:
    stop = asyncio.Event()
    _install_signal_handlers(stop)
    log.info("program_starting", pid=identity.pid)
    try:
        async with _open_runtime(program, settings, identity, stop) as runtime:
            if stop.is_set():
                return 0
            await program.serve(runtime)
    except ConfigError as exc:
        log.error("configuration_error", reason=str(exc))
        return EXIT_CONFIG
    except Exception:
        log.exception("program_failed")
        return EXIT_FAILURE
    log.info("program_stopped")
    return 0


@asynccontextmanager
async def _open_runtime(
    program: Program, settings: Settings, identity: ProcessIdentity, stop: asyncio.Event
) -> AsyncIterator[Runtime]:
    async with AsyncExitStack() as stack:
        redis = create_redis(settings)
        stack.push_async_callback(redis.aclose)
        await _wait_for_redis(redis, stop)
        db = await stack.enter_async_context(open_pool(settings)) if program.needs_db else None
        keys = Keys(settings.REDIS_KEY_PREFIX)

        async def details() -> dict[str, object]:
            return await host_details(redis, keys, identity.host)

        await stack.enter_async_context(serve_metrics(settings, identity, details=details))
        heartbeat = Heartbeat(redis, keys, identity, settings.HEARTBEAT_INTERVAL_SECONDS)
        runtime = Runtime(settings, identity, keys, redis, db, heartbeat, stop)
        beating = asyncio.create_task(heartbeat.run(stop), name=f"{identity.ctl_name}:heartbeat")
        stack.push_async_callback(_stop_heartbeat, heartbeat, beating, stop)
        yield runtime


async def _stop_heartbeat(heartbeat: Heartbeat, beating: asyncio.Task[None], stop: asyncio.Event) -> None:
    stop.set()
    await beating
    await heartbeat.clear()


async def _wait_for_redis(redis: aioredis.Redis, stop: asyncio.Event) -> None:
    """Wait until Redis answers; other programs may still be starting it. Backs off up to 5 s."""
    backoff, attempt = Backoff(base=0.2, cap=5.0), 0
    while not stop.is_set():
        delay = backoff.delay(attempt)
        try:
            await redis.ping()
            return
        except (RedisError, OSError) as exc:
            log.warning("redis_unavailable", reason=str(exc), retry_in_s=delay)
        if await wait_stopped(stop, delay):
            return
        attempt += 1


def _install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, _request_stop, stop, signum)


def _request_stop(stop: asyncio.Event, signum: int) -> None:
    if not stop.is_set():
        log.info("stop_requested", signal=signal.Signals(signum).name)
    stop.set()
