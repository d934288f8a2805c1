"""One Prometheus ``/metrics`` endpoint per process, on ``METRICS_PORT_BASE`` + a fixed offset.

Each process keeps its own registry (no multiprocess mode, so no stale per-pid files to clean), and
Prometheus scrapes one target per process. The port of a process is fixed by its program and, for the
numbered bot workers, by its process number, so a scrape configuration can be written once::

    lockkeeper  base+0     warmup  base+1     webhook  base+2     jobs  base+3
    crashguard  base+4     bot:bot_NN  base+10+NN

The same private port also serves ``/health/details`` (this host's processes and the leader, see
:mod:`shared.ops.health`) when the process gives a way to read them: operators reach details there
without the public port's ``HEALTH_TOKEN``.

``METRICS_PORT_BASE=0`` (the default) serves nothing. A port that cannot be bound is logged and the
program goes on without metrics: losing a scrape target is better than losing ingress.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from redis.exceptions import RedisError

from shared.identity import ProcessIdentity
from shared.settings import Settings

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["OFFSETS", "WORKER_OFFSET", "metrics_port", "serve_metrics"]

log = structlog.get_logger()

Details = Callable[[], Awaitable[dict[str, object]]]

OFFSETS = {"lockkeeper": 0, "warmup": 1, "webhook": 2, "jobs": 3, "crashguard": 4}
# Numbered workers (``bot_00``, ``bot_01``, …) take base+10+N.
WORKER_OFFSET = 10
_NUMBERED = re.compile(r"_(\d+)$")


def metrics_port(settings: Settings, identity: ProcessIdentity) -> int | None:
    """The port this process serves metrics on, or None (metrics off, or a program with no slot)."""
    if settings.METRICS_PORT_BASE == 0:
        return None
    if identity.program in OFFSETS:
        return settings.METRICS_PORT_BASE + OFFSETS[identity.program]
    number = _NUMBERED.search(identity.process_name)
    if number is None:
        return None
    port = settings.METRICS_PORT_BASE + WORKER_OFFSET + int(number.group(1))
    return port if port <= 65535 else None


def _app(registry: CollectorRegistry, details: Details | None) -> web.Application:
    from aiohttp import web  # metrics are off by default: most processes never need aiohttp

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def health_details(request: web.Request) -> web.Response:
        assert details is not None
        try:
            return web.json_response(await details())
        except (RedisError, OSError) as exc:
            return web.json_response(
                {"status": "redis unavailable", "reason": type(exc).__name__}, status=503
            )

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    if details is not None:
        app.router.add_get("/health/details", health_details)
    return app


@asynccontextmanager
async def serve_metrics(
    settings: Settings,
    identity: ProcessIdentity,
    registry: CollectorRegistry = REGISTRY,
    details: Details | None = None,
) -> AsyncIterator[int | None]:
    """Serve ``/metrics`` (and ``/health/details``) on this process's port while the context is open.

    Yields the port, or None when metrics are off or the port cannot be bound.
    """
    port = metrics_port(settings, identity)
    if port is None:
        yield None
        return
    from aiohttp import web

    runner = web.AppRunner(_app(registry, details), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host=settings.BIND_HOST, port=port, shutdown_timeout=1.0).start()
        except OSError as exc:
            log.error("metrics_port_unavailable", port=port, reason=str(exc))
            yield None
            return
        log.info("metrics_listening", port=port)
        yield port
    finally:
        await runner.cleanup()
