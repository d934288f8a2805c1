"""The bot worker: consumes the inbox through the ``bot`` group and runs each update through PTB."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import structlog
from psycopg_pool import AsyncConnectionPool
from telegram.ext import Application

from services.bot.consumer import ConsumerConfig, InboxConsumer
from services.bot.dispatch import UpdateDispatcher
from services.bot.handlers import BotDeps, register
from services.bot.inline_drafts import InlineDrafts
from services.bot.media import MediaIntake
from services.bot.money.deps import MoneyDeps
from services.bot.money.registry import register_money
from services.bot.money.setup import build_broadcaster, build_money, job_limits, priced_catalog
from services.bot.prefs import Preferences
from services.bot.profile import ProfilePublisher, bot_profile
from services.bot.wizard.store import WizardStore
from shared.catalog import DEFAULT_REGISTRY_PATH
from shared.catalog.cache import CatalogCache
from shared.chat.file_ids import FileIdCache
from shared.chat.texts import Texts
from shared.errors import ConfigError
from shared.heartbeat import ProcessState
from shared.jobs import JobStore
from shared.kie import KieClient
from shared.lease.leadership import LeaderWatch, run_while_leader
from shared.ledger import Ledger
from shared.process import Program, Runtime
from shared.settings import Settings
from shared.telegram.botapi import BotApi
from shared.telegram.client import build_application, initialize_when_reachable

__all__ = ["PROGRAM", "build_deps"]

log = structlog.get_logger()


def check(settings: Settings) -> None:
    settings.require_telegram()


def consumer_config(settings: Settings) -> ConsumerConfig:
    return ConsumerConfig(
        concurrency=settings.BOT_CONCURRENCY,
        claim_idle_ms=int(settings.INBOX_CLAIM_IDLE_SECONDS * 1000),
        handle_timeout=settings.INBOX_TURN_TIMEOUT_SECONDS,
    )


@asynccontextmanager
async def _media_intake(settings: Settings) -> AsyncIterator[MediaIntake | None]:
    """KIE uploads for user files; without a KIE key the wizard asks for links instead."""
    if settings.kie_api_key() is None:
        yield None
        return
    async with KieClient.from_settings(settings) as kie:
        yield MediaIntake(kie)


def build_deps(
    runtime: Runtime, pool: AsyncConnectionPool, catalog: CatalogCache, media: MediaIntake | None
) -> BotDeps:
    """The handlers' collaborators for this worker."""
    return BotDeps(
        texts=Texts(),
        catalog=priced_catalog(catalog, runtime.settings),
        wizards=WizardStore(runtime.redis, runtime.keys),
        prefs=Preferences(runtime.redis, runtime.keys, pool),
        ledger=Ledger(pool),
        jobs=JobStore(pool, job_limits(runtime.settings)),
        media=media,
        file_ids=FileIdCache(runtime.redis, runtime.keys),
        starter_credits=runtime.settings.STARTER_CREDITS,
        inline=InlineDrafts(runtime.redis, runtime.keys),
    )


async def serve(runtime: Runtime) -> None:
    """Initialise PTB (getMe), consume until stopped, drain, then shut PTB down.

    Nothing here waits for Telegram to accept the bot's profile: that is a leader duty, retried.
    """
    if runtime.db is None:
        raise ConfigError("DATABASE_URL: the bot needs PostgreSQL for users, credits and jobs")
    catalog = await _start_catalog(runtime)
    async with _media_intake(runtime.settings) as media:
        worker = _assemble(runtime, runtime.db, catalog, media)
        if not await initialize_when_reachable(worker.application, runtime.stop):
            return
        try:
            await _consume(runtime, worker, catalog)
        finally:
            await worker.application.shutdown()


@dataclass(frozen=True, slots=True)
class _Worker:
    """One bot worker's parts: PTB with every handler registered, what they use, and the dispatcher."""

    application: Application  # type: ignore[type-arg]
    deps: BotDeps
    money: MoneyDeps
    dispatcher: UpdateDispatcher


async def _start_catalog(runtime: Runtime) -> CatalogCache:
    catalog = CatalogCache(
        runtime.redis,
        runtime.keys,
        fallback_path=runtime.settings.CATALOG_REGISTRY_PATH or DEFAULT_REGISTRY_PATH,
        allow_unverified=runtime.settings.ALLOW_UNVERIFIED_PRICES,
    )
    await catalog.start()
    return catalog


def _assemble(
    runtime: Runtime, pool: AsyncConnectionPool, catalog: CatalogCache, media: MediaIntake | None
) -> _Worker:
    deps = build_deps(runtime, pool, catalog, media)
    application = build_application(runtime.settings, runtime.redis)
    register(application, deps)
    money = build_money(runtime, pool)
    register_money(application, deps, money)
    return _Worker(application, deps, money, UpdateDispatcher(application))


async def _consume(runtime: Runtime, worker: _Worker, catalog: CatalogCache) -> None:
    """Read the inbox until stopped, beside the catalogue follower, broadcasts and the profile duty."""
    name = f"{runtime.identity.host}/{runtime.identity.ctl_name}"
    consumer = InboxConsumer(
        runtime.redis, runtime.keys, name, worker.dispatcher, consumer_config(runtime.settings)
    )
    runtime.set_state(ProcessState.RUNNING)
    log.info("bot_ready", username=worker.application.bot.username)
    broadcaster = build_broadcaster(
        runtime, worker.money, worker.application.bot, worker.deps.texts, worker.deps.prefs
    )
    async with asyncio.TaskGroup() as group:
        group.create_task(catalog.run(runtime.stop), name="bot:catalog")
        group.create_task(broadcaster.run(runtime.stop), name="bot:broadcast")
        group.create_task(_publish_profile(runtime, worker.deps.texts), name="bot:profile")
        await consumer.run(runtime.stop)


async def _publish_profile(runtime: Runtime, texts: Texts) -> None:
    """The leader duty that publishes the bot's commands and menu button (see services.bot.profile)."""
    settings = runtime.settings
    async with aiohttp.ClientSession() as session:
        api = BotApi(session, settings.TELEGRAM_API_BASE_URL, settings.require_telegram().get_secret_value())
        publisher = ProfilePublisher(api, runtime.redis, runtime.keys, bot_profile(texts))
        watch = LeaderWatch(runtime.redis, runtime.keys, runtime.identity.host)
        async with asyncio.TaskGroup() as group:
            group.create_task(watch.run(runtime.stop), name="bot:leader-watch")
            await run_while_leader(watch, publisher, runtime.stop, name="bot-profile")


PROGRAM = Program(name="bot", serve=serve, check=check)
