"""The cost watch on its own database: a job KIE charged more for raises its price once, with an alert."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import psycopg
import pytest
import redis.asyncio as aioredis
from psycopg_pool import AsyncConnectionPool

from services.warmup.costs import CostWatch
from shared.catalog import load_registry
from shared.catalog.pricing import model_price
from shared.catalog.store import Origin, SnapshotStore
from shared.keys import Keys
from shared.migrations import apply_migrations
from shared.ops.alerts import AlertKind, AlertLog

MODEL = "wan/2-6-text-to-video"
HD = {"prompt": "a fox", "resolution": "1080p", "duration": "5"}  # 105 KIE credits
SD = {"prompt": "a fox", "resolution": "720p", "duration": "5"}  # 70 KIE credits
_JOB = """
INSERT INTO jobs (id, user_id, chat_id, model_id, params, price_credits, state, settlement,
                  typical_seconds, time_limit_seconds, deadline, kie_credits_consumed)
VALUES (%s, 1, 1, %s, %s, 160, 'succeeded', 'captured', 10, 60, now(), %s)
"""


@pytest.fixture(name="pool")
async def _pool(private_database_url: str) -> AsyncIterator[AsyncConnectionPool]:
    apply_migrations(private_database_url)
    with psycopg.connect(private_database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO users (id) VALUES (1)")
    async with AsyncConnectionPool(private_database_url, open=False, kwargs={"autocommit": True}) as pool:
        yield pool


async def settle(pool: AsyncConnectionPool, params: dict[str, str], consumed: str) -> None:
    async with pool.connection() as conn:
        await conn.execute(_JOB, (uuid.uuid4(), MODEL, json.dumps(params), Decimal(consumed)))


class TestCostWatch:
    async def test_a_job_kie_charged_more_for_raises_its_price_once_and_tells_the_admins(
        self, pool: AsyncConnectionPool, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        keys = Keys(key_prefix)
        store = SnapshotStore(redis_client, keys)
        registry = load_registry()
        await store.publish(registry, base=registry.version, origin=Origin.FILE, expected=None)
        watch = CostWatch(redis_client, keys, pool, host="h1", interval=60)
        await settle(pool, SD, "70")  # what KIE asked: nothing to learn
        assert await watch.look_once(epoch=1) == []
        await settle(pool, HD, "131")
        [floor] = await watch.look_once(epoch=1)
        assert (floor.model_id, floor.rate) == (MODEL, "1")
        current = await store.read_current()
        assert current is not None
        assert model_price(current.registry.get(MODEL), HD) >= 131
        assert model_price(current.registry.get(MODEL), SD) == 70
        [alert] = await AlertLog(redis_client, keys).recent()
        assert alert.kind is AlertKind.PRICE_RAISED and "131" in alert.reason and MODEL in alert.reason
        assert await watch.look_once(epoch=1) == []  # the same job again: the floor is there already
        assert len(await AlertLog(redis_client, keys).recent()) == 1
