"""GET /results/{token}: a signed link redirects to its file, an expired one says so, others are 404."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from services.webhook import result_route
from shared.chat.result_links import ResultLinks
from shared.heartbeat import Heartbeat
from shared.identity import ProcessIdentity
from shared.jobs.callback_url import callback_secret
from shared.keys import Keys
from shared.process import Runtime
from shared.secret import SecretStr
from shared.settings import Settings

FILE = "https://tempfile.kie.ai/result/abc.mp4"
BASE = "https://bot.example"
SETTINGS = Settings(KIE_CALLBACK_SECRET=SecretStr("route-test-secret"), PUBLIC_BASE_URL=BASE)


@pytest.fixture(name="client")
async def _client(redis_client: aioredis.Redis) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    keys = Keys("trt:")
    identity = ProcessIdentity(program="webhook", process_name="webhook", group="webhook", host="h1", pid=7)
    app = web.Application()
    runtime = Runtime(
        SETTINGS, identity, keys, redis_client, None, Heartbeat(redis_client, keys, identity, 1.0)
    )
    result_route.mount(app, runtime)
    async with TestClient(TestServer(app)) as client:
        yield client


def path_of(made_at: datetime) -> str:
    secret = callback_secret(SETTINGS)
    assert secret is not None
    return ResultLinks(secret, BASE).make(FILE, made_at).url.removeprefix(BASE)


class TestResultRoute:
    async def test_a_valid_link_redirects_to_the_file(self, client: TestClient) -> None:  # type: ignore[type-arg]
        response = await client.get(path_of(datetime.now(UTC)), allow_redirects=False)
        assert response.status == 302 and response.headers["Location"] == FILE

    async def test_an_expired_link_is_410_with_its_time(self, client: TestClient) -> None:  # type: ignore[type-arg]
        response = await client.get(path_of(datetime.now(UTC) - timedelta(days=30)), allow_redirects=False)
        assert response.status == 410 and "expired at" in await response.text()

    async def test_an_edited_link_is_404(self, client: TestClient) -> None:  # type: ignore[type-arg]
        response = await client.get(path_of(datetime.now(UTC))[:-3] + "xyz", allow_redirects=False)
        assert response.status == 404
