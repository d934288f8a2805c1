"""The leader's refresh through KieCatalogApi against a small aiohttp stand-in of KIE's catalogue API."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, cast

import aiohttp
import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestServer
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from services.warmup.refresh import CatalogRefresher, RefreshOutcome
from shared.catalog import Registry, load_registry
from shared.catalog.store import Origin, SnapshotStore
from shared.keys import Keys
from shared.kie import RedisWindowLimiter
from shared.kie.catalog_api import CATALOG_BUDGET_KEY, KieCatalogApi

API_KEY = "catalog-test-key"
LISTED = ("google/imagen4", "nano-banana-2", "z-image")


@dataclass
class StandIn:
    """What the stand-in serves and what it saw."""

    models: list[dict[str, Any]] | None
    schemas: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    seen: list[tuple[float, str]] = field(default_factory=list)


def openapi(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """An OpenAPI document shaped like KIE's, with the input schema behind a $ref with a space."""
    return {
        "paths": {
            "/api/v1/jobs/createTask": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "required": ["model", "input"],
                                    "properties": {
                                        "model": {"type": "string"},
                                        "input": {"$ref": "#/components/schemas/task%20input"},
                                    },
                                }
                            }
                        }
                    }
                }
            }
        },
        "components": {"schemas": {"task input": {"properties": properties, "required": required}}},
    }


def build_app(stand_in: StandIn) -> web.Application:
    def envelope(data: object) -> web.Response:
        return web.json_response({"code": 200, "msg": "success", "data": data})

    async def models(request: web.Request) -> web.Response:
        stand_in.seen.append((time.monotonic(), request.path))
        if request.headers.get("Authorization") != f"Bearer {API_KEY}":
            return web.json_response({"code": 401, "msg": "You do not have access permissions"})
        return envelope({"total": len(stand_in.models or []), "models": stand_in.models})

    async def schema(request: web.Request) -> web.Response:
        stand_in.seen.append((time.monotonic(), request.path))
        model = request.match_info["model"]
        if model not in stand_in.schemas:
            return web.json_response({"code": 404, "msg": "model not found"})
        return envelope({"model": model, "openapi": stand_in.schemas[model]})

    app = web.Application()
    if stand_in.models is not None:
        app.router.add_get("/api/v1/models", models)
    app.router.add_get("/api/v1/models/{model:.+}/schema", schema)
    return app


Make = Callable[[StandIn], Any]


@pytest.fixture(name="keys")
def _keys(key_prefix: str) -> Keys:
    return Keys(key_prefix)


@pytest.fixture(name="make_refresher")
async def _make_refresher(redis_client: aioredis.Redis, keys: Keys) -> AsyncIterator[Make]:
    """Factory: serve a stand-in and return a refresher reading it through the real 1/s budget."""
    servers: list[TestServer] = []
    session = aiohttp.ClientSession()

    async def make(stand_in: StandIn) -> CatalogRefresher:
        server = TestServer(build_app(stand_in), host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        limiter = RedisWindowLimiter(
            redis_client, key_prefix=keys.prefix, limit=1, window_seconds=1.0, name=CATALOG_BUDGET_KEY
        )
        api = KieCatalogApi(
            api_base_url=str(server.make_url("")), api_key=API_KEY, session=session, rate_limiter=limiter
        )
        return CatalogRefresher(redis_client, keys, api, interval=3600)

    yield make
    await session.close()
    for server in servers:
        await server.close()


@pytest.fixture(name="published")
async def _published(redis_client: aioredis.Redis, keys: Keys) -> Registry:
    """The real registry published as the file snapshot in service."""
    registry = load_registry()
    await SnapshotStore(redis_client, keys).publish(
        registry, base=registry.version, origin=Origin.FILE, expected=None
    )
    return registry


def catalogue(**pricing: str) -> list[dict[str, Any]]:
    return [
        {
            "model": model,
            "title": f"Affordable {model} API",
            "taskType": ["Text to Image"],
            "pricingDesc": pricing.get(model),
        }
        for model in LISTED
    ]


class TestCatalogRefresh:
    async def test_publishes_the_merged_catalogue(
        self, make_refresher: Make, redis_client: aioredis.Redis, keys: Keys, published: Registry
    ) -> None:
        """KIE's price and schema are merged onto the file and published, at most 1 request/s."""
        stand_in = StandIn(
            models=catalogue(**{"google/imagen4": "Each image costs 10 credits (0.05 USD)."}),
            schemas={
                "google/imagen4": openapi({"prompt": {"type": "string", "maxLength": 3000}}, ["prompt"]),
                "nano-banana-2": None,
            },
        )
        refresher = await make_refresher(stand_in)
        result = await refresher.refresh_once(epoch=1)
        assert result.outcome is RefreshOutcome.PUBLISHED
        snapshot = await SnapshotStore(redis_client, keys).read_current()
        assert snapshot is not None and snapshot.origin is Origin.KIE and snapshot.base == published.version
        registry = snapshot.registry
        assert registry.price("google/imagen4") == 10
        field = registry.get("google/imagen4").field("prompt")
        assert field is not None and field.max_length == 3000
        assert registry.get("google/imagen4").name == published.get("google/imagen4").name
        assert len(stand_in.seen) == 1 + len(LISTED)
        gaps = [
            later - earlier
            for (earlier, _), (later, _) in zip(stand_in.seen, stand_in.seen[1:], strict=False)
        ]
        assert min(gaps) >= 0.9, gaps
        report = json.loads(cast(bytes, await redis_client.get(keys.catalog_refresh)))
        assert report["outcome"] == "published" and "google/nano-banana" in report["disappeared"]
        assert REGISTRY.get_sample_value("trt_catalog_models_disappeared") == len(report["disappeared"])

    async def test_same_answers_again_change_nothing(
        self, make_refresher: Make, redis_client: aioredis.Redis, keys: Keys, published: Registry
    ) -> None:
        """A second refresh with the same KIE answers merges onto the base file and is unchanged."""
        stand_in = StandIn(models=catalogue(**{"google/imagen4": "10 credits"}))
        refresher = await make_refresher(stand_in)
        first = await refresher.refresh_once(epoch=1)
        second = await refresher.refresh_once(epoch=1)
        assert first.outcome is RefreshOutcome.PUBLISHED
        assert second.outcome is RefreshOutcome.UNCHANGED and second.version == first.version

    async def test_badly_validating_refresh_keeps_the_good_snapshot(
        self, make_refresher: Make, redis_client: aioredis.Redis, keys: Keys, published: Registry
    ) -> None:
        """A schema that drops an enum value a price rate needs is refused, naming model and field."""
        bad = openapi({"resolution": {"type": "string", "enum": ["1K"], "default": "1K"}}, [])
        refresher = await make_refresher(StandIn(models=catalogue(), schemas={"nano-banana-2": bad}))
        with capture_logs() as logs:
            result = await refresher.refresh_once(epoch=1)
        assert result.outcome is RefreshOutcome.INVALID
        assert await SnapshotStore(redis_client, keys).current_version() == published.version
        (event,) = [item for item in logs if item["event"] == "catalog_refresh_invalid"]
        assert event["log_level"] == "error" and event["model"] == "nano-banana-2"
        assert event["field"] is not None and "price" in event["field"]

    async def test_missing_catalogue_endpoint_is_tolerated(
        self, make_refresher: Make, redis_client: aioredis.Redis, keys: Keys, published: Registry
    ) -> None:
        """A KIE (or emulator) without the catalogue endpoint answers 404: logged, nothing changes."""
        refresher = await make_refresher(StandIn(models=None))
        with capture_logs() as logs:
            result = await refresher.refresh_once(epoch=1)
        assert result.outcome is RefreshOutcome.UNAVAILABLE
        assert await SnapshotStore(redis_client, keys).current_version() == published.version
        assert any(item["event"] == "kie_catalogue_unavailable" for item in logs)

    async def test_stale_leader_cannot_publish(
        self, make_refresher: Make, redis_client: aioredis.Redis, keys: Keys, published: Registry
    ) -> None:
        """A refresh from an epoch older than the published leader term is superseded."""
        await redis_client.set(
            keys.leader_state, json.dumps({"holder": "b/lockkeeper/2", "epoch": 5, "expires_at": 0})
        )
        refresher = await make_refresher(StandIn(models=catalogue(**{"google/imagen4": "10 credits"})))
        result = await refresher.refresh_once(epoch=4)
        assert result.outcome is RefreshOutcome.SUPERSEDED
        assert await SnapshotStore(redis_client, keys).current_version() == published.version

    async def test_nothing_published_yet(self, make_refresher: Make) -> None:
        """Before warmup published anything there is nothing to refresh, and KIE is not asked."""
        stand_in = StandIn(models=catalogue())
        refresher = await make_refresher(stand_in)
        result = await refresher.refresh_once(epoch=1)
        assert result.outcome is RefreshOutcome.NO_SNAPSHOT and stand_in.seen == []
