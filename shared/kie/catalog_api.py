"""`KieCatalogApi`: KIE's catalogue and schema endpoints (kie-api.md §3.2; observed, not documented).

    GET /api/v1/models                     the whole catalogue, not paginated
    GET /api/v1/models/{model}/schema      the model's OpenAPI document (may be null); slash kept literal

They are free but share a budget of one request per second per account, so every request first takes
a slot of `rate_limiter` (a `RedisWindowLimiter` of 1 per second shared through Redis). Every
exchange goes through `shared.kie.transport.KieTransport`, the same one `KieClient` uses. There are
no retries here: the caller (the warmup's leader refresh) simply tries again at its next interval.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import aiohttp

from shared.kie.errors import KieError, KieProtocolError
from shared.kie.policy import KieTimeouts
from shared.kie.ratelimit import RateLimiter
from shared.kie.transport import KieTransport

__all__ = ["CATALOG_BUDGET_KEY", "CatalogEntry", "KieCatalogApi", "ModelSchema"]

CATALOG_BUDGET_KEY = "kie:catalog"
"""Key (after the prefix) of the shared 1 request/s budget of the catalogue endpoints."""

_CREATE_TASK_PATH = "/api/v1/jobs/createTask"


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One model of KIE's catalogue; every text may be missing."""

    model: str
    title: str | None = None
    provider: str | None = None
    task_types: tuple[str, ...] = ()
    description: str | None = None
    pricing_desc: str | None = None


@dataclass(frozen=True, slots=True)
class ModelSchema:
    """The `input` object of a model's createTask request, from its OpenAPI document."""

    model: str
    properties: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    required: tuple[str, ...] = ()


class KieCatalogApi:
    """Reads KIE's catalogue and per-model schemas through an injected aiohttp session."""

    def __init__(
        self,
        *,
        api_base_url: str,
        api_key: str,
        session: aiohttp.ClientSession,
        rate_limiter: RateLimiter,
        timeouts: KieTimeouts | None = None,
    ) -> None:
        self._transport = KieTransport(api_key, timeouts)
        self._base = api_base_url.rstrip("/")
        self._session = session
        self._limiter = rate_limiter

    async def models(self) -> list[CatalogEntry]:
        """The whole catalogue; entries without a model id are skipped."""
        data = await self._get("/api/v1/models")
        items = data.get("models") if isinstance(data, Mapping) else None
        if not isinstance(items, list):
            raise KieProtocolError("catalogue answer has no data.models list")
        return [entry for entry in (_entry(item) for item in items) if entry is not None]

    async def schema(self, model: str) -> ModelSchema | None:
        """The model's createTask `input` schema, or None when KIE has none (null or not createTask)."""
        data = await self._get(f"/api/v1/models/{model}/schema")
        document = data.get("openapi") if isinstance(data, Mapping) else None
        if not isinstance(document, Mapping):
            return None
        return parse_input_schema(model, document)

    async def _get(self, path: str) -> Any:
        """One GET: take a budget slot, then one exchange through the shared transport."""
        await self._limiter.acquire()
        return await self._transport.send(self._session, "GET", self._base + path)


def _entry(item: object) -> CatalogEntry | None:
    if not isinstance(item, Mapping) or not isinstance(item.get("model"), str) or not item["model"]:
        return None
    task_types = item.get("taskType")
    return CatalogEntry(
        model=item["model"],
        title=_optional_text(item.get("title")),
        provider=_optional_text(item.get("provider")),
        task_types=tuple(t for t in task_types if isinstance(t, str)) if isinstance(task_types, list) else (),
        description=_optional_text(item.get("description")),
        pricing_desc=_optional_text(item.get("pricingDesc")),
    )


def _optional_text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def parse_input_schema(model: str, document: Mapping[str, Any]) -> ModelSchema | None:
    """Extract the createTask `input` properties and required list from an OpenAPI document.

    Local ``$ref``s are followed (component names may hold URL-escaped spaces); a document without the
    createTask path is a synchronous (chat) model and yields None.
    """
    try:
        operation = document["paths"][_CREATE_TASK_PATH]["post"]
        body = _resolve(document, operation["requestBody"])
        request = _resolve(document, body["content"]["application/json"]["schema"])
        input_schema = _resolve(document, request["properties"]["input"])
    except (KeyError, TypeError, KieError):
        return None
    raw_properties = input_schema.get("properties")
    properties: dict[str, Mapping[str, Any]] = {}
    if isinstance(raw_properties, Mapping):
        for name, prop in raw_properties.items():
            try:
                properties[str(name)] = _resolve(document, prop)
            except KieError:
                continue
    required = input_schema.get("required")
    names = tuple(str(item) for item in required) if isinstance(required, list) else ()
    return ModelSchema(model=model, properties=properties, required=names)


def _resolve(document: Mapping[str, Any], node: object, depth: int = 0) -> Mapping[str, Any]:
    """Follow a local ``$ref`` chain (at most 8 deep) to the object it names."""
    if not isinstance(node, Mapping):
        raise KieProtocolError("schema node is not an object")
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return node
    if depth >= 8 or not ref.startswith("#/"):
        raise KieProtocolError(f"cannot follow $ref {ref!r}")
    target: Any = document
    for part in ref[2:].split("/"):
        name = unquote(part).replace("~1", "/").replace("~0", "~")
        if not isinstance(target, Mapping):
            raise KieProtocolError(f"$ref {ref!r} does not resolve")
        # Component keys may carry trailing spaces that the reference leaves out (kie-api.md §3.2).
        target = target.get(name, target.get(name + " "))
    return _resolve(document, target, depth + 1)
