"""GET /health and /health/details on a private Redis: O(programs), cached, details behind the token."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from services.webhook import health
from shared.heartbeat import Heartbeat, ProcessState
from shared.identity import ProcessIdentity
from shared.keys import Keys
from shared.process import Runtime
from shared.secret import SecretStr
from shared.settings import Settings
from tests.conftest import PrivateRedis
from tests.shared.test_heartbeat import fill_unrelated

TOKEN = "health-token-0123456789abcdef-0123456789"


@pytest.fixture(name="redis")
async def _redis(private_redis: PrivateRedis) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis(port=private_redis.port)
    yield client
    await client.aclose()


@pytest.fixture(name="client")
async def _client(redis: aioredis.Redis) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    """The webhook's health routes for host h1, whose webhook and jobs beat as running."""
    keys = Keys("trt:")
    identity = ProcessIdentity(program="webhook", process_name="webhook", group="webhook", host="h1", pid=7)
    beat = Heartbeat(redis, keys, identity, 1.0)
    beat.state = ProcessState.RUNNING
    await beat.beat()
    jobs = ProcessIdentity(program="jobs", process_name="jobs", group="jobs", host="h1", pid=8)
    other = Heartbeat(redis, keys, jobs, 1.0)
    other.state = ProcessState.RUNNING
    await other.beat()
    settings = Settings(HEALTH_TOKEN=SecretStr(TOKEN), HOST_ID="h1")
    app = web.Application()
    health.mount(app, Runtime(settings, identity, keys, redis, None, beat))
    async with TestClient(TestServer(app)) as client:
        yield client


async def calls(redis: aioredis.Redis, *commands: str) -> int:
    """How many of ``commands`` this Redis has run (INFO commandstats)."""
    stats = await redis.info("commandstats")
    return sum(int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in commands)


class TestHealth:
    async def test_public_answer_is_minimal(self, client: TestClient) -> None:  # type: ignore[type-arg]
        """/health says ok and each program's state: no pids, no host, no leader."""
        response = await client.get("/health")
        assert response.status == 200
        body = await response.json()
        assert body == {
            "status": "ok",
            "programs": {"jobs": {"state": "running"}, "webhook": {"state": "running"}},
        }

    async def test_no_scan_with_300000_unrelated_keys(
        self,
        client: TestClient,  # type: ignore[type-arg]
        redis: aioredis.Redis,
    ) -> None:
        """With 300,000 other keys in Redis, /health and its details issue no SCAN or KEYS."""
        await fill_unrelated(redis, 300_000)
        before = await calls(redis, "scan", "keys")
        assert (await client.get("/health")).status == 200
        details = await client.get("/health/details", headers={"Authorization": f"Bearer {TOKEN}"})
        assert details.status == 200
        assert await calls(redis, "scan", "keys") == before

    async def test_a_flood_reads_redis_once_a_second(
        self,
        client: TestClient,  # type: ignore[type-arg]
        redis: aioredis.Redis,
    ) -> None:
        """Fifty calls within the cache second cost one HGETALL."""
        before = await calls(redis, "hgetall")
        for _ in range(50):
            assert (await client.get("/health")).status == 200
        assert await calls(redis, "hgetall") - before <= 2  # the cache may turn over once meanwhile

    async def test_details_need_the_token(self, client: TestClient) -> None:  # type: ignore[type-arg]
        """Without the right bearer token (or with bytes that are not UTF-8) details answer 401."""
        assert (await client.get("/health/details")).status == 401
        wrong = await client.get("/health/details", headers={"Authorization": "Bearer nope"})
        assert wrong.status == 401
        raw = await client.get("/health/details", headers={"Authorization": "Bearer \udcff"})
        assert raw.status == 401
        right = await client.get("/health/details", headers={"Authorization": f"Bearer {TOKEN}"})
        body = await right.json()
        assert body["programs"]["webhook"]["pid"] == 7 and "leader" in body
