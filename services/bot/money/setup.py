"""Builds the money layer of a bot worker from its settings: stores, limits and the broadcaster."""

from __future__ import annotations

from typing import Any

from psycopg_pool import AsyncConnectionPool
from telegram import Bot

from services.bot.broadcaster import Broadcaster, Pacer
from services.bot.money.deps import MoneyDeps
from services.bot.prefs import Preferences
from services.bot.pricing import PricedCatalog
from services.bot.ratelimit import RateLimiter, RateLimits
from shared.catalog.cache import CatalogCache
from shared.chat.texts import Texts
from shared.jobs.limits import JobLimits
from shared.money import (
    Accounts,
    BroadcastStore,
    InvoiceSigner,
    PaymentStore,
    PromoStore,
    Referrals,
    StarsRefunds,
    SupportStore,
    payload_key,
)
from shared.process import Runtime
from shared.settings import Settings

__all__ = ["build_broadcaster", "build_money", "job_limits", "priced_catalog"]


def job_limits(settings: Settings) -> JobLimits:
    """MAX_ACTIVE_JOBS_PER_USER and DAILY_SPEND_CAP_CREDITS as the job store checks them."""
    return JobLimits(
        max_active=settings.MAX_ACTIVE_JOBS_PER_USER, daily_spend_cap=settings.DAILY_SPEND_CAP_CREDITS
    )


def priced_catalog(catalog: CatalogCache, settings: Settings) -> PricedCatalog:
    """The catalogue with PRICE_MARKUP applied to every price the bot shows or charges."""
    return PricedCatalog(catalog, settings.PRICE_MARKUP)


def build_money(runtime: Runtime, pool: AsyncConnectionPool[Any]) -> MoneyDeps:
    """The money handlers' collaborators for this worker."""
    settings = runtime.settings
    limits = RateLimits(
        messages_per_minute=settings.RATE_LIMIT_MESSAGES_PER_MINUTE,
        buttons_per_minute=settings.RATE_LIMIT_BUTTONS_PER_MINUTE,
    )
    return MoneyDeps(
        payments=PaymentStore(
            pool,
            settings.CREDIT_PACKS,
            settings.REFERRAL_BONUS_CREDITS,
            signer=InvoiceSigner(payload_key(settings)),
        ),
        promos=PromoStore(pool),
        referrals=Referrals(pool),
        accounts=Accounts(pool),
        broadcasts=BroadcastStore(pool),
        refunds=StarsRefunds(pool),
        limiter=RateLimiter(runtime.redis, runtime.keys, limits),
        redis=runtime.redis,
        keys=runtime.keys,
        admin_ids=settings.ADMIN_IDS,
        referral_bonus=settings.REFERRAL_BONUS_CREDITS,
        database_url=settings.DATABASE_URL,
        support=SupportStore(pool),
        host=settings.HOST_ID,
        program=settings.SUPERVISOR_PROCESS_NAME or "bot",
    )


def build_broadcaster(
    runtime: Runtime, money: MoneyDeps, bot: Bot, texts: Texts, prefs: Preferences
) -> Broadcaster:
    """The worker's broadcast sender, paced by BROADCAST_RATE_PER_SECOND across all workers."""
    pacer = Pacer(runtime.redis, runtime.keys, runtime.settings.BROADCAST_RATE_PER_SECOND)
    return Broadcaster(money.broadcasts, bot, pacer, texts, prefs)
