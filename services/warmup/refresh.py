"""The leader's catalogue refresh: read KIE's catalogue and schemas, merge, validate, publish.

One refresh reads the snapshot in service and the registry-file snapshot it derives from (its base),
asks KIE for the catalogue and for the schema of every Market model both know (one request per
second, shared through Redis), merges (:mod:`services.warmup.merge`) onto the base document and
validates the result. It publishes only a document that validates, and only if the pointer still
names the version it started from and no newer leader term exists (the store's epoch fence).

Whatever goes wrong (KIE down or answering 404 because it, or the emulator, has no catalogue
endpoint; a merged document that fails validation; a lost race) leaves the snapshot in service as it
is. The outcome of every attempt is written to ``catalog:refresh`` for operators.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import redis.asyncio as aioredis
import structlog
from redis.exceptions import RedisError

from services.warmup.merge import MergeReport, merge_catalogue
from shared.catalog import Registry, RegistryError, Route
from shared.catalog.store import Origin, Snapshot, SnapshotStore, SwapOutcome
from shared.keys import Keys
from shared.kie.catalog_api import CatalogEntry, ModelSchema
from shared.kie.errors import KieError, KieNotFoundError
from shared.metrics import CATALOG_MODELS_DISAPPEARED

__all__ = ["CatalogRefresher", "CatalogSource", "RefreshOutcome", "RefreshResult"]

log = structlog.get_logger()

_RETRY_SECONDS = 300.0


class CatalogSource(Protocol):
    """What the refresh reads from KIE (``shared.kie.catalog_api.KieCatalogApi``)."""

    async def models(self) -> list[CatalogEntry]:
        """The whole catalogue."""
        ...

    async def schema(self, model: str) -> ModelSchema | None:
        """One model's createTask input schema, or None."""
        ...


class RefreshOutcome(StrEnum):
    """How one refresh attempt ended."""

    PUBLISHED = "published"  # a new version is in service
    UNCHANGED = "unchanged"  # KIE agrees with the version in service
    NO_SNAPSHOT = "no-snapshot"  # nothing in service yet to refresh (warmup has not published)
    UNAVAILABLE = "unavailable"  # KIE has no catalogue endpoint (404)
    FAILED = "failed"  # KIE or Redis failed; nothing changed
    INVALID = "invalid"  # the merged document failed validation; nothing changed
    SUPERSEDED = "superseded"  # the pointer moved or a newer term exists; nothing changed


@dataclass(slots=True)
class RefreshResult:
    """One attempt's outcome, the version in service afterwards, and the merge report."""

    outcome: RefreshOutcome
    version: str | None = None
    error: str | None = None
    report: MergeReport = field(default_factory=MergeReport)

    @property
    def retry_soon(self) -> bool:
        """Whether the next attempt should come before the regular interval."""
        return self.outcome in (RefreshOutcome.FAILED, RefreshOutcome.NO_SNAPSHOT, RefreshOutcome.SUPERSEDED)


class CatalogRefresher:
    """A leader duty (``run(epoch)``) that refreshes the catalogue every ``interval`` seconds."""

    def __init__(
        self,
        redis: aioredis.Redis,
        keys: Keys,
        source: CatalogSource,
        *,
        interval: float,
        retry_seconds: float = _RETRY_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._store = SnapshotStore(redis, keys)
        self._source = source
        self._interval = interval
        self._retry = min(retry_seconds, interval)
        self._clock = clock

    async def run(self, epoch: int) -> None:
        """Refresh now and then every interval, for as long as this term lasts (cancelled at its end)."""
        while True:
            result = await self.refresh_once(epoch)
            await asyncio.sleep(self._retry if result.retry_soon else self._interval)

    async def refresh_once(self, epoch: int) -> RefreshResult:
        """One attempt; never raises for KIE, Redis or validation failures (they are the outcome)."""
        try:
            result = await self._attempt(epoch)
        except KieNotFoundError as exc:
            log.warning("kie_catalogue_unavailable", reason=str(exc), kept="the snapshot in service")
            result = RefreshResult(RefreshOutcome.UNAVAILABLE, error=str(exc))
        except RegistryError as exc:
            log.error(
                "catalog_refresh_invalid",
                model=exc.model_id,
                field=exc.field,
                error=str(exc),
                kept="the snapshot in service",
            )
            result = RefreshResult(RefreshOutcome.INVALID, error=str(exc))
        except (KieError, RedisError, OSError) as exc:
            log.warning("catalog_refresh_failed", error=f"{type(exc).__name__}: {exc}")
            result = RefreshResult(RefreshOutcome.FAILED, error=f"{type(exc).__name__}: {exc}")
        await self._record(result, epoch)
        return result

    async def _attempt(self, epoch: int) -> RefreshResult:
        current = await self._store.read_current()
        if current is None:
            return RefreshResult(RefreshOutcome.NO_SNAPSHOT)
        base = await self._base_of(current)
        entries = await self._source.models()
        schemas = await self._schemas(base.registry, entries)
        merged = merge_catalogue(_document(base.registry), entries, schemas)
        self._flag(merged.report)
        registry = await asyncio.to_thread(Registry.from_document, merged.document)
        swap = await self._store.publish(
            registry, base=base.version, origin=Origin.KIE, expected=current.version, epoch=epoch
        )
        return _result(swap, registry.version, current.version, merged.report)

    async def _base_of(self, current: Snapshot) -> Snapshot:
        """The registry-file snapshot the current one derives from (itself if it is one, or if lost)."""
        if current.base == current.version:
            return current
        try:
            base = await self._store.read(current.base)
        except RegistryError as exc:
            log.warning("catalog_base_unreadable", base=current.base, error=str(exc))
            base = None
        return base or current

    async def _schemas(
        self, registry: Registry, entries: list[CatalogEntry]
    ) -> dict[str, ModelSchema | None]:
        """The schema of every Market model KIE lists; a model without one (404, null) maps to None."""
        listed = {entry.model for entry in entries}
        schemas: dict[str, ModelSchema | None] = {}
        for model in registry:
            if model.route is not Route.MARKET or model.id not in listed:
                continue
            try:
                schemas[model.id] = await self._source.schema(model.id)
            except KieNotFoundError:
                schemas[model.id] = None
        return schemas

    def _flag(self, report: MergeReport) -> None:
        CATALOG_MODELS_DISAPPEARED.set(len(report.disappeared))
        if report.disappeared:
            log.warning("kie_models_disappeared", models=report.disappeared, count=len(report.disappeared))
        if report.unlisted:
            log.info("kie_models_unlisted", count=len(report.unlisted))

    async def _record(self, result: RefreshResult, epoch: int) -> None:
        """Write the attempt's outcome to ``catalog:refresh``; a Redis failure here is only logged."""
        record = {
            "at": self._clock(),
            "epoch": epoch,
            "outcome": result.outcome.value,
            "version": result.version,
            "error": result.error,
            **result.report.as_dict(),
        }
        try:
            await self._redis.set(self._keys.catalog_refresh, json.dumps(record, ensure_ascii=False))
        except (RedisError, OSError) as exc:
            log.warning("catalog_refresh_record_failed", reason=str(exc))
        log.info("catalog_refresh_done", outcome=result.outcome.value, version=result.version)


def _document(registry: Registry) -> dict[str, Any]:
    document: dict[str, Any] = registry.to_snapshot()["document"]
    return document


def _result(swap: SwapOutcome, version: str, current: str, report: MergeReport) -> RefreshResult:
    if swap is SwapOutcome.SWAPPED:
        log.info("catalog_refreshed", version=version, replaced=current, prices=len(report.prices))
        return RefreshResult(RefreshOutcome.PUBLISHED, version, report=report)
    if swap is SwapOutcome.UNCHANGED:
        return RefreshResult(RefreshOutcome.UNCHANGED, current, report=report)
    log.info("catalog_refresh_superseded", swap=swap.value, version=version, expected=current)
    return RefreshResult(RefreshOutcome.SUPERSEDED, current, error=swap.value, report=report)
