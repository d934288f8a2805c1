"""The catalogue warmup: publishes the registry as a Redis snapshot and, as leader, refreshes it from KIE.

Every host's warmup publishes the registry file at start (:mod:`services.warmup.boot`; a broken file
leaves the last good snapshot in service and the program ``degraded``). With ``KIE_API_KEY`` set, the
warmup of the leading host also runs two leader duties: the catalogue refresh from KIE's catalogue
and schema endpoints (:mod:`services.warmup.refresh`, every ``CATALOG_REFRESH_INTERVAL_SECONDS``, at
most one request per second account-wide) and the credit balance watch (:mod:`services.warmup.balance`,
every ``KIE_BALANCE_CHECK_INTERVAL_SECONDS``, alerting below ``KIE_LOW_BALANCE_CREDITS``).
"""

from __future__ import annotations

import asyncio

import aiohttp
import structlog

from services.warmup.balance import BalanceWatch
from services.warmup.boot import BootPublisher
from services.warmup.costs import CostWatch
from services.warmup.refresh import CatalogRefresher
from shared.catalog import DEFAULT_REGISTRY_PATH
from shared.catalog.store import SnapshotStore
from shared.db import open_pool
from shared.heartbeat import ProcessState
from shared.kie import KieClient, RedisWindowLimiter
from shared.kie.catalog_api import CATALOG_BUDGET_KEY, KieCatalogApi
from shared.lease.leadership import LeaderWatch, run_while_leader
from shared.process import Program, Runtime

__all__ = ["PROGRAM"]

log = structlog.get_logger()


async def serve(runtime: Runtime) -> None:
    """Publish the registry, then follow the file and run the leader duties until stopped."""
    settings = runtime.settings
    runtime.set_state(ProcessState.STARTING)
    boot = BootPublisher(
        SnapshotStore(runtime.redis, runtime.keys),
        settings.CATALOG_REGISTRY_PATH or DEFAULT_REGISTRY_PATH,
        budget_seconds=settings.BOOT_WARMUP_BUDGET_SECONDS,
        set_state=runtime.set_state,
        allow_unverified=settings.ALLOW_UNVERIFIED_PRICES,
    )
    await boot.start()
    async with asyncio.TaskGroup() as group:
        group.create_task(boot.run(runtime.stop), name="catalog-file")
        if settings.kie_api_key() is not None:
            group.create_task(_leader_duties(runtime), name="catalog-leader-duties")
        else:
            log.info("kie_refresh_disabled", reason="KIE_API_KEY is not set")


async def _leader_duties(runtime: Runtime) -> None:
    """While this host leads: refresh the catalogue from KIE, watch the credit balance and KIE's costs."""
    settings = runtime.settings
    api_key = settings.require_kie_key()
    limiter = RedisWindowLimiter(
        runtime.redis, key_prefix=runtime.keys.prefix, limit=1, window_seconds=1.0, name=CATALOG_BUDGET_KEY
    )
    async with (
        aiohttp.ClientSession() as session,
        KieClient.from_settings(settings, session=session) as client,
        open_pool(settings, max_size=1) as pool,  # opened in the background: PostgreSQL may come later
    ):
        catalog = KieCatalogApi(
            api_base_url=settings.KIE_API_BASE_URL, api_key=api_key, session=session, rate_limiter=limiter
        )
        refresher = CatalogRefresher(
            runtime.redis, runtime.keys, catalog, interval=settings.CATALOG_REFRESH_INTERVAL_SECONDS
        )
        balance = BalanceWatch(
            runtime.redis,
            runtime.keys,
            client,
            threshold=settings.KIE_LOW_BALANCE_CREDITS,
            interval=settings.KIE_BALANCE_CHECK_INTERVAL_SECONDS,
            host=runtime.identity.host,
        )
        costs = CostWatch(
            runtime.redis,
            runtime.keys,
            pool,
            host=runtime.identity.host,
            interval=settings.CATALOG_COST_WATCH_SECONDS,
        )
        watch = LeaderWatch(runtime.redis, runtime.keys, runtime.identity.host)
        stop = runtime.stop
        async with asyncio.TaskGroup() as group:
            group.create_task(watch.run(stop), name="leader-watch")
            group.create_task(run_while_leader(watch, refresher.run, stop, name="catalog-refresh"))
            group.create_task(run_while_leader(watch, balance.run, stop, name="kie-balance"))
            if settings.CATALOG_COST_WATCH_SECONDS > 0:
                group.create_task(run_while_leader(watch, costs.run, stop, name="kie-costs"))


PROGRAM = Program(name="warmup", serve=serve, needs_db=False)
