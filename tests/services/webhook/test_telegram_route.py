"""POST /telegram/webhook against real Redis: 200 only once stored, and nothing stored for bad input."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from services.webhook.app import MAX_BODY_BYTES
from services.webhook.telegram_route import INBOX, SECRET, SECRET_HEADER, receive_update
from shared.inbox import InboxWriter
from shared.keys import Keys
from tests.conftest import PrivateRedis

SECRET_VALUE = "s3cret-token_OK"


def build(redis: aioredis.Redis, keys: Keys) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[INBOX] = InboxWriter(redis, keys)
    app[SECRET] = SECRET_VALUE.encode()
    app.router.add_post("/telegram/webhook", receive_update)
    return app


@pytest.fixture(name="keys")
def _keys(key_prefix: str) -> Keys:
    return Keys(key_prefix)


@pytest.fixture(name="client")
async def _client(redis_client: aioredis.Redis, keys: Keys) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    async with TestClient(TestServer(build(redis_client, keys))) as client:
        yield client


def update(update_id: int, chat: int = 42, text: str = "hi") -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": chat, "type": "private"},
            "text": text,
        },
    }


async def post(client: TestClient, body: object, secret: str | None = SECRET_VALUE) -> int:  # type: ignore[type-arg]
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    data = body if isinstance(body, bytes | str | io.BytesIO) else json.dumps(body)
    response = await client.post("/telegram/webhook", data=data, headers=headers)
    return response.status


class TestReceiveUpdate:
    async def test_update_is_stored_before_200(
        self, client: TestClient, redis_client: aioredis.Redis, keys: Keys
    ) -> None:  # type: ignore[type-arg]
        """A valid update answers 200 and is in the inbox stream with its chat and place."""
        assert await post(client, update(1)) == 200
        [(_, fields)] = await redis_client.xrange(keys.inbox)
        assert fields[b"update_id"] == b"1" and fields[b"chat"] == b"42" and fields[b"seq"] == b"1"

    async def test_same_update_three_times_is_stored_once(
        self,
        client: TestClient,
        redis_client: aioredis.Redis,
        keys: Keys,  # type: ignore[type-arg]
    ) -> None:
        """Telegram's repeats answer 200 and are dropped."""
        for _ in range(3):
            assert await post(client, update(7)) == 200
        assert await redis_client.xlen(keys.inbox) == 1

    @pytest.mark.parametrize("secret", [None, "wrong", "", SECRET_VALUE + "x"])
    async def test_wrong_or_missing_secret_is_401_and_stores_nothing(
        self,
        client: TestClient,
        redis_client: aioredis.Redis,
        keys: Keys,
        secret: str | None,  # type: ignore[type-arg]
    ) -> None:
        """Without the right secret header nothing reaches the inbox."""
        assert await post(client, update(1), secret=secret) == 401
        assert await redis_client.exists(keys.inbox, keys.update_claim(1)) == 0

    @pytest.mark.parametrize(
        "body",
        [
            b"{not json",
            json.dumps({"message": {}}),
            json.dumps([1, 2]),
            json.dumps({"update_id": "12"}),
            json.dumps({"update_id": 1.5}),
            json.dumps({"update_id": True}),
            json.dumps({"update_id": -1}),
            json.dumps({"update_id": 10**30}),
            b"\xff\xfe",
            b"[" * 200_000 + b"]" * 200_000,
            b'{"update_id": ' + b"9" * 5000 + b"}",
        ],
    )
    async def test_malformed_body_is_400_and_stores_nothing(
        self,
        client: TestClient,
        redis_client: aioredis.Redis,
        keys: Keys,
        body: bytes | str,  # type: ignore[type-arg]
    ) -> None:
        """Bodies that are not a JSON object with an integer update_id are refused."""
        assert await post(client, body) == 400
        assert await redis_client.exists(keys.inbox) == 0

    async def test_two_mebibyte_body_is_413_and_stores_nothing(
        self,
        client: TestClient,
        redis_client: aioredis.Redis,
        keys: Keys,  # type: ignore[type-arg]
    ) -> None:
        """Oversized bodies are refused before parsing."""
        body = io.BytesIO(json.dumps(update(3, text="x" * (2 * 1024 * 1024))).encode())
        assert await post(client, body) == 413
        assert await redis_client.exists(keys.inbox) == 0

    async def test_chat_places_count_per_chat(
        self,
        client: TestClient,
        redis_client: aioredis.Redis,
        keys: Keys,  # type: ignore[type-arg]
    ) -> None:
        """Each chat's updates are numbered 1, 2, 3... independently of other chats."""
        for update_id, chat in [(1, 10), (2, 20), (3, 10), (4, 10), (5, 20)]:
            assert await post(client, update(update_id, chat)) == 200
        places = [(f[b"chat"], f[b"seq"]) for _, f in await redis_client.xrange(keys.inbox)]
        assert places == [(b"10", b"1"), (b"20", b"1"), (b"10", b"2"), (b"10", b"3"), (b"20", b"2")]

    @pytest.mark.parametrize(
        "inner",
        [
            {"message": None},
            {"message": {"chat": "x"}},
            {"callback_query": [1]},
            {"message": {"chat": {"id": True}}},
        ],
    )
    async def test_authentic_update_of_odd_shape_is_stored_in_the_shared_lane(
        self,
        client: TestClient,  # type: ignore[type-arg]
        redis_client: aioredis.Redis,
        keys: Keys,
        inner: dict[str, object],
    ) -> None:
        """An update with the right secret but odd inner types is kept (Telegram sent it), never a 500."""
        assert await post(client, {"update_id": 77, **inner}) == 200
        [(_, fields)] = await redis_client.xrange(keys.inbox)
        assert fields[b"chat"] == b"global"


class TestRedisDown:
    async def test_stopped_redis_is_503_then_recovers(self, private_redis: PrivateRedis, keys: Keys) -> None:
        """With Redis stopped the receiver answers 503 (Telegram retries), and 200 once it is back."""
        client_redis = aioredis.Redis(port=private_redis.port, socket_connect_timeout=0.5, socket_timeout=1)
        async with TestClient(TestServer(build(client_redis, keys))) as client:
            assert await post(client, update(1)) == 200
            private_redis.stop()
            assert await post(client, update(2)) == 503
            private_redis.start()
            assert await post(client, update(2)) == 200
            [(_, fields)] = await client_redis.xrange(keys.inbox)  # the restarted server kept nothing
            assert fields[b"update_id"] == b"2"
        await client_redis.aclose()

    async def test_secret_header_that_is_not_utf8_is_401(
        self,
        client: TestClient,  # type: ignore[type-arg]
        redis_client: aioredis.Redis,
        keys: Keys,
    ) -> None:
        """Raw bytes that are not UTF-8 in the secret header get a 401, not a 500, and store nothing."""
        body = json.dumps(update(77)).encode()
        request = (
            b"POST /telegram/webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + SECRET_HEADER.encode()
            + b": \xff\xfe\x80\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\nConnection: close\r\n\r\n"
            + body
        )
        reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
        writer.write(request)
        await writer.drain()
        status_line = await reader.readline()
        writer.close()
        await writer.wait_closed()
        assert status_line.split()[1] == b"401"
        assert await redis_client.xlen(keys.inbox) == 0
