"""Fixtures for money tests: the migrated pool, and the in-process bot with the money layer wired in."""

from __future__ import annotations

import itertools
import random
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from psycopg_pool import AsyncConnectionPool

from services.bot.money.deps import MoneyDeps
from services.bot.money.registry import register_money
from services.bot.ratelimit import RateLimiter, RateLimits
from shared.catalog import Registry, load_registry
from shared.keys import Keys
from shared.money import (
    Accounts,
    BroadcastStore,
    InvoiceSigner,
    PaymentStore,
    PromoStore,
    Referrals,
    StarsRefunds,
    SupportStore,
    parse_packs,
)
from tests.services.bot.harness import BotHarness, running_bot
from tests.shared.ledger.conftest import _new_user_id, _pool

__all__ = ["ADMIN_ID", "BONUS", "PACKS", "SIGNER", "_new_user_id", "_pool"]

PACKS = parse_packs("100:50,500:225")
BONUS = 25
ADMIN_ID = 777_000_001
SIGNER = InvoiceSigner(b"bot money test key")
MESSAGES_PER_MINUTE = 12


@pytest.fixture(name="registry", scope="session")
def _registry() -> Registry:
    return load_registry()


def money_deps(pool: AsyncConnectionPool, redis: aioredis.Redis, keys: Keys) -> MoneyDeps:
    """The money layer as a worker builds it, with small limits and one admin."""
    limits = RateLimits(messages_per_minute=MESSAGES_PER_MINUTE, buttons_per_minute=30)
    return MoneyDeps(
        payments=PaymentStore(pool, PACKS, BONUS, signer=SIGNER),
        promos=PromoStore(pool),
        referrals=Referrals(pool),
        accounts=Accounts(pool),
        broadcasts=BroadcastStore(pool),
        refunds=StarsRefunds(pool),
        limiter=RateLimiter(redis, keys, limits),
        redis=redis,
        keys=keys,
        admin_ids=frozenset({ADMIN_ID}),
        referral_bonus=BONUS,
        support=SupportStore(pool),
    )


@pytest.fixture(name="bot")
async def _bot(
    registry: Registry, redis_client: aioredis.Redis, key_prefix: str, pool: AsyncConnectionPool
) -> AsyncIterator[tuple[BotHarness, MoneyDeps]]:
    async with running_bot(registry, redis_client, key_prefix, pool) as harness:
        money = money_deps(pool, redis_client, Keys(key_prefix))
        register_money(harness.application, harness.deps, money)
        harness.telegram.create_user("Admin", user_id=ADMIN_ID, language_code="en")
        # Each test gets a fresh emulator but the run shares one database: start its query ids (and so
        # its charge ids, stxEMU<query id>) where no earlier test's can be, as Telegram's are unique.
        harness.telegram._query_ids = itertools.count(random.randrange(10**9, 10**12))
        yield harness, money
