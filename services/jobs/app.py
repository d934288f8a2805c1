"""The job tracker: submits queued jobs to KIE, settles them from callbacks, polls and expires as leader.

Three loops share one database pool, one KIE client (with the account-wide createTask budget in
Redis) and one Telegram bot: the outbox `Submitter` and the `CallbackConsumer` run in every `jobs`
process; the `OverduePoller` runs only while this host holds the leader lease.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import structlog
from psycopg_pool import AsyncConnectionPool
from telegram.ext import ExtBot

from services.jobs.callbacks import CallbackConsumer
from services.jobs.finisher import Finisher
from services.jobs.notifier import Notifier
from services.jobs.poller import OverduePoller
from services.jobs.progress import ProgressReporter
from services.jobs.submitter import Submitter
from shared.backoff import Backoff
from shared.catalog import DEFAULT_REGISTRY_PATH, Registry, load_registry
from shared.chat.delivery import TelegramSender
from shared.chat.download import Downloader, DownloadPolicy, guarded_session
from shared.chat.file_ids import FileIdCache
from shared.chat.inline_delivery import InlineEditor
from shared.chat.presentation import ResultPresenter
from shared.chat.result_links import ResultLinks
from shared.db import open_pool
from shared.heartbeat import ProcessState
from shared.jobs import JobStore, JobTracking
from shared.jobs.callback_url import public_base_url, require_callback_secret
from shared.kie import KieClient, RedisWindowLimiter
from shared.lease.leadership import LeaderWatch, run_while_leader
from shared.process import Program, Runtime
from shared.settings import Settings
from shared.streams.consumer import ConsumerConfig
from shared.telegram.client import build_bot, initialize_when_reachable

__all__ = ["PROGRAM"]

log = structlog.get_logger()

# Handling attempts of one callback before it is dead-lettered (the poller then settles its job).
CALLBACK_MAX_ATTEMPTS = 5


def check(settings: Settings) -> None:
    """The tracker needs Telegram and a KIE key (the callback URL falls back, see public_base_url)."""
    settings.require_telegram()
    settings.require_kie_key()
    require_callback_secret(settings)


def callback_config(settings: Settings) -> ConsumerConfig:
    """The callback consumer's pacing: retries spread over ~15 s, so a brief outage is not dead-lettered."""
    return ConsumerConfig(
        concurrency=settings.JOBS_CONCURRENCY,
        claim_idle_ms=int(settings.JOBS_CLAIM_IDLE_SECONDS * 1000),
        max_attempts=CALLBACK_MAX_ATTEMPTS,
        retry_backoff=Backoff(base=1.0, cap=30.0),
    )


@asynccontextmanager
async def _telegram_bot(runtime: Runtime) -> AsyncIterator[ExtBot[None]]:
    bot = build_bot(runtime.settings, runtime.redis, connections=runtime.settings.JOBS_CONCURRENCY * 2)
    await initialize_when_reachable(bot, runtime.stop)  # stopped first: the loops see the stop and end
    try:
        yield bot
    finally:
        await bot.shutdown()


def _kie_client(runtime: Runtime, session: aiohttp.ClientSession) -> KieClient:
    settings = runtime.settings
    limiter = RedisWindowLimiter(
        runtime.redis, key_prefix=runtime.keys.prefix, limit=settings.KIE_CREATE_TASKS_PER_10_SECONDS
    )
    return KieClient.from_settings(settings, session=session, rate_limiter=limiter)


async def serve(runtime: Runtime) -> None:
    """Run the loops until the stop event, then drain them."""
    settings = runtime.settings
    registry = load_registry(settings.CATALOG_REGISTRY_PATH or DEFAULT_REGISTRY_PATH)
    download_policy = DownloadPolicy.of(settings)
    async with (
        open_pool(settings, max_size=settings.JOBS_CONCURRENCY * 2 + 4) as pool,
        aiohttp.ClientSession() as session,
        guarded_session(download_policy) as download_session,
        _kie_client(runtime, session) as kie,
        _telegram_bot(runtime) as bot,
    ):
        downloader = Downloader(download_session, download_policy)
        loops = _assemble(runtime, registry, pool, downloader, kie, bot)
        runtime.set_state(ProcessState.RUNNING)
        log.info("jobs_ready", models=len(registry))
        await _run(runtime, loops)


@dataclass(frozen=True, slots=True)
class _Loops:
    """What the jobs program runs: submit, take callbacks; as leader, poll overdue jobs and show progress."""

    submitter: Submitter
    callbacks: CallbackConsumer
    poller: OverduePoller
    progress: ProgressReporter


def _assemble(
    runtime: Runtime,
    registry: Registry,
    pool: AsyncConnectionPool,
    downloader: Downloader,
    kie: KieClient,
    bot: ExtBot[None],
) -> _Loops:
    settings = runtime.settings
    store = JobStore(pool)
    tracking = JobTracking(pool, callback_grace_seconds=settings.JOBS_CALLBACK_GRACE_SECONDS)
    base_url = public_base_url(settings)
    if settings.PUBLIC_BASE_URL is None:
        log.warning("jobs_public_base_url_defaulted", url=base_url)
    file_ids = FileIdCache(runtime.redis, runtime.keys)
    sender = TelegramSender(bot, file_ids)
    notifier = Notifier(
        tracking,
        downloader,
        sender,
        ResultPresenter(registry),
        ResultLinks(require_callback_secret(settings), base_url),
        InlineEditor(bot, sender, file_ids),
    )
    finisher = Finisher(store, kie, downloader, notifier, routes=registry.route_of)
    submitter = Submitter(
        tracking,
        kie,
        finisher,
        public_base_url=base_url,
        token_key=require_callback_secret(settings),
        token_grace_seconds=settings.KIE_CALLBACK_TOKEN_GRACE_SECONDS,
        concurrency=settings.JOBS_CONCURRENCY,
        poll_seconds=settings.JOBS_OUTBOX_POLL_SECONDS,
        routes=registry.route_of,
    )
    name = f"{runtime.identity.host}/{runtime.identity.ctl_name}"
    callbacks = CallbackConsumer(
        runtime.redis, runtime.keys, name, store, tracking, finisher, config=callback_config(settings)
    )
    poller = OverduePoller(
        tracking, finisher, notifier, interval_seconds=settings.JOBS_SWEEP_INTERVAL_SECONDS
    )
    progress = ProgressReporter(pool, bot, runtime.redis, runtime.keys, registry)
    return _Loops(submitter, callbacks, poller, progress)


async def _run(runtime: Runtime, loops: _Loops) -> None:
    watch = LeaderWatch(runtime.redis, runtime.keys, runtime.identity.host)
    stop = runtime.stop
    async with asyncio.TaskGroup() as group:
        group.create_task(loops.submitter.run(stop), name="jobs:submitter")
        group.create_task(loops.callbacks.run(stop), name="jobs:callbacks")
        group.create_task(watch.run(stop), name="jobs:leader-watch")
        group.create_task(
            run_while_leader(watch, loops.poller.duty, stop, name="jobs-poller"), name="jobs:poller"
        )
        group.create_task(
            run_while_leader(watch, loops.progress.duty, stop, name="jobs-progress"), name="jobs:progress"
        )


PROGRAM = Program(name="jobs", serve=serve, check=check, needs_db=False)
