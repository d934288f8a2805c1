"""POST /kie/callback/{job_id}: forged callbacks get 4xx and store nothing; good ones reach the stream."""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from psycopg_pool import AsyncConnectionPool

from services.webhook.kie_callback import CallbackRoute, register
from shared.jobs import FailureReason, JobState, JobStore, NewJob, callback_url
from shared.keys import Keys
from shared.kie import webhook_signature
from shared.kie.callback import SIGNATURE_HEADER, TIMESTAMP_HEADER
from shared.ledger import Ledger, MovementKind
from tests.kie.fixtures import documented
from tests.shared.ledger.conftest import _pool

__all__ = ["_pool"]

TOKEN_KEY = b"callback-token-key"
HMAC_KEY = b"kie-hmac-key"


@pytest.fixture(name="keys")
def _keys(key_prefix: str) -> Keys:
    return Keys(key_prefix)


@pytest.fixture(name="client")
async def _client(
    redis_client: aioredis.Redis, keys: Keys, pool: AsyncConnectionPool
) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    app = web.Application(client_max_size=1024 * 1024)
    register(app, CallbackRoute(TOKEN_KEY, HMAC_KEY, keys, redis_client, pool))
    async with TestClient(TestServer(app)) as client:
        yield client


@pytest.fixture(name="job_id")
async def _job_id(pool: AsyncConnectionPool) -> uuid.UUID:
    user_id = random.randrange(10**9, 2 * 10**9)
    ledger = Ledger(pool)
    await ledger.ensure_user(user_id)
    await ledger.grant(user_id, 10, MovementKind.GRANT, "start", f"start:{user_id}")
    new = NewJob(user_id, user_id, "z-image", {"prompt": "x"}, 5, 60, 10)
    return (await JobStore(pool).create_job(new)).job.id


def body(task_id: str = "task-1", state: str = "success") -> bytes:
    data = {"taskId": task_id, "model": "z-image", "state": state, "resultJson": "", "param": "{}"}
    return json.dumps({"code": 200, "msg": "ok", "data": data}).encode()


def signed(task_id: str = "task-1", at: float | None = None, key: bytes = HMAC_KEY) -> dict[str, str]:
    stamp = str(int(time.time() if at is None else at))
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: webhook_signature(task_id, stamp, key)}


def path_of(job_id: uuid.UUID, key: bytes = TOKEN_KEY, expires_at: float | None = None) -> str:
    expiry = int(time.time() + 3600 if expires_at is None else expires_at)
    return callback_url("http://x", job_id, key, expiry).removeprefix("http://x")


FORGERIES: dict[str, Any] = {
    "bad_token": lambda job: (path_of(job, key=b"guess"), body(), signed()),
    "no_token": lambda job: (path_of(job).split("?")[0], body(), signed()),
    "bad_signature": lambda job: (path_of(job), body(), signed(key=b"other")),
    "missing_signature": lambda job: (path_of(job), body(), {}),
    "stale_timestamp": lambda job: (path_of(job), body(), signed(at=time.time() - 3600)),
    "future_timestamp": lambda job: (path_of(job), body(), signed(at=time.time() + 3600)),
    "signature_for_other_task": lambda job: (path_of(job), body(), signed(task_id="task-2")),
    "malformed_body": lambda job: (path_of(job), b"{not json", signed()),
    "not_an_envelope": lambda job: (path_of(job), b'{"data": {}}', signed()),
    "unknown_job": lambda job: (path_of(uuid.uuid4()), body(), signed()),
    "not_a_uuid": lambda job: ("/kie/callback/123?t=abc", body(), signed()),
}


async def post(client: TestClient, path: str, data: bytes, headers: dict[str, str]) -> int:  # type: ignore[type-arg]
    response = await client.post(path, data=data, headers=headers)
    return response.status


async def stored(redis: aioredis.Redis, keys: Keys) -> list[Any]:
    return list(await redis.xrange(keys.kie_callbacks) or [])


class TestKieCallbackRoute:
    async def test_valid_callback_is_stored(
        self,
        client: TestClient,  # type: ignore[type-arg]
        redis_client: aioredis.Redis,
        keys: Keys,
        job_id: uuid.UUID,
    ) -> None:
        """A callback with the job's token and KIE's fresh signature is appended and answered 200."""
        assert await post(client, path_of(job_id), body(), signed()) == 200
        [(_, fields)] = await stored(redis_client, keys)
        assert fields[b"job_id"].decode() == str(job_id) and fields[b"task_id"] == b"task-1"

    @pytest.mark.parametrize(
        "family", ["suno", "veo", "4o-image", "flux-kontext", "midjourney", "runway", "aleph"]
    )
    async def test_every_family_callback_is_stored_under_its_task(
        self,
        client: TestClient,  # type: ignore[type-arg]
        redis_client: aioredis.Redis,
        keys: Keys,
        job_id: uuid.UUID,
        family: str,
    ) -> None:
        """Each family's documented callback body (golden fixtures) is accepted under the task it names."""
        raw = documented(family, "callback_success")
        data = raw["data"]
        task_id = data.get("taskId") or data.get("task_id") or raw.get("taskId")
        assert await post(client, path_of(job_id), json.dumps(raw).encode(), signed(task_id)) == 200
        [(_, fields)] = await stored(redis_client, keys)
        assert fields[b"task_id"].decode() == task_id

    @pytest.mark.parametrize(
        ("case", "status"),
        [
            ("bad_token", 401),
            ("no_token", 401),
            ("bad_signature", 401),
            ("missing_signature", 401),
            ("stale_timestamp", 401),
            ("future_timestamp", 401),
            ("signature_for_other_task", 401),
            ("malformed_body", 400),
            ("not_an_envelope", 400),
            ("unknown_job", 404),
            ("not_a_uuid", 404),
        ],
    )
    async def test_forgery_is_refused_and_nothing_stored(
        self,
        client: TestClient,  # type: ignore[type-arg]
        redis_client: aioredis.Redis,
        keys: Keys,
        job_id: uuid.UUID,
        case: str,
        status: int,
    ) -> None:
        """Each kind of forged or broken callback gets its 4xx and leaves the stream empty."""
        path, data, headers = FORGERIES[case](job_id)
        assert await post(client, path, data, headers) == status
        assert await stored(redis_client, keys) == []

    async def test_callback_for_another_task_conflicts(
        self,
        client: TestClient,  # type: ignore[type-arg]
        redis_client: aioredis.Redis,
        keys: Keys,
        job_id: uuid.UUID,
        pool: AsyncConnectionPool,
    ) -> None:
        """Once the job has its task id, a callback naming another task is refused with 409."""
        async with pool.connection() as conn:
            await conn.execute("UPDATE jobs SET kie_task_id = 'task-real' WHERE id = %s", (job_id,))
        assert await post(client, path_of(job_id), body("task-1"), signed("task-1")) == 409
        assert await stored(redis_client, keys) == []
        assert await post(client, path_of(job_id), body("task-real"), signed("task-real")) == 200

    async def test_a_replayed_callback_after_expiry_changes_nothing(
        self,
        client: TestClient,  # type: ignore[type-arg]
        redis_client: aioredis.Redis,
        keys: Keys,
        job_id: uuid.UUID,
    ) -> None:
        """An old callback replayed after its URL expired: answered as KIE expects (200), nothing stored."""
        old_url = path_of(job_id, expires_at=time.time() - 1)
        response = await client.post(old_url, data=body(), headers=signed())
        assert response.status == 200 and (await response.json())["code"] == 200
        assert await stored(redis_client, keys) == []

    async def test_a_lengthened_expiry_is_a_forgery(
        self,
        client: TestClient,  # type: ignore[type-arg]
        redis_client: aioredis.Redis,
        keys: Keys,
        job_id: uuid.UUID,
    ) -> None:
        """Rewriting the expiry of an expired token breaks its HMAC: 401."""
        expired = path_of(job_id, expires_at=1_700_000_000)
        assert await post(client, expired.replace("t=1700000000", "t=1900000000"), body(), signed()) == 401
        assert await stored(redis_client, keys) == []

    async def test_a_replay_for_a_settled_job_changes_nothing(
        self,
        client: TestClient,  # type: ignore[type-arg]
        redis_client: aioredis.Redis,
        keys: Keys,
        job_id: uuid.UUID,
        pool: AsyncConnectionPool,
    ) -> None:
        """The job was refunded: its callback, replayed with a valid token, is answered 200, not stored."""
        refund = await JobStore(pool).refund(
            job_id, FailureReason.TIMEOUT, detail="test", state=JobState.EXPIRED
        )
        assert refund.changed
        assert await post(client, path_of(job_id), body(), signed()) == 200
        assert await stored(redis_client, keys) == []

    async def test_redis_down_answers_503(
        self, keys: Keys, pool: AsyncConnectionPool, job_id: uuid.UUID
    ) -> None:
        """When Redis cannot take the callback, KIE is told to retry (5xx)."""
        dead = aioredis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
        app = web.Application()
        register(app, CallbackRoute(TOKEN_KEY, HMAC_KEY, keys, dead, pool))
        async with TestClient(TestServer(app)) as client:
            assert await post(client, path_of(job_id), body(), signed()) == 503
        await dead.aclose()
