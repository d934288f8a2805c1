"""The leader's cost watch: what KIE charged against what the catalogue asked, and floors where short.

Every ``interval`` it reads the jobs whose ``creditsConsumed`` arrived since its last look (PostgreSQL),
prices each job's parameters with the catalogue in service and, where KIE consumed more, raises that
rate's floor (:mod:`shared.catalog.cost_floors`), alerts the admins once per raise, and republishes
the catalogue so that new jobs pay the raised price. Prices only go up here; lowering one is an
operator's change to the registry file. A database or Redis failure costs one look, logged.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import redis.asyncio as aioredis
import structlog
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from redis.exceptions import RedisError

from shared.catalog import CatalogError, Registry
from shared.catalog.cost_floors import CostFloors, Floor, floor_for
from shared.catalog.store import SnapshotStore
from shared.keys import Keys
from shared.ops.alerts import Alert, AlertKind, AlertLog

__all__ = ["CostWatch", "Observation"]

log = structlog.get_logger()

FIRST_LOOK = timedelta(days=30)
"""How far back the first look goes, when no earlier one left its mark."""

_SETTLED_SINCE = """
SELECT id, model_id, params, kie_credits_consumed, updated_at FROM jobs
WHERE kie_credits_consumed IS NOT NULL AND updated_at >= %s
ORDER BY updated_at LIMIT 5000
"""


@dataclass(frozen=True, slots=True)
class Observation:
    """One job: its model and parameters, and what KIE consumed for it."""

    job_id: str
    model_id: str
    params: dict[str, Any]
    consumed: Decimal


class CostWatch:
    """A leader duty (``run(epoch)``) raising prices KIE's charges have overtaken."""

    def __init__(
        self,
        redis: aioredis.Redis,
        keys: Keys,
        pool: AsyncConnectionPool,
        *,
        host: str,
        interval: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._pool = pool
        self._host = host
        self._interval = interval
        self._clock = clock
        self._store = SnapshotStore(redis, keys)
        self._floors = CostFloors(redis, keys)
        self._alerts = AlertLog(redis, keys)

    async def run(self, epoch: int) -> None:
        """Look now and then every interval, for as long as this term lasts."""
        while True:
            try:
                await self.look_once(epoch)
            except (psycopg.Error, PoolTimeout, RedisError, OSError) as exc:
                log.warning("cost_watch_failed", reason=f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(self._interval)

    async def look_once(self, epoch: int) -> list[Floor]:
        """Compare the jobs settled since the last look; return the floors raised."""
        current = await self._store.read_current()
        if current is None:
            return []
        since = await self._since()
        observations, newest = await self._observations(since)
        raised: list[Floor] = []
        for seen in observations:
            floor = self._floor(current.registry, seen)
            if floor is not None and await self._floors.raise_to(floor):
                raised.append(floor)
                await self._alert(seen, floor)
        if raised:
            await self._store.publish(
                current.registry,
                base=current.base,
                origin=current.origin,
                expected=current.version,
                epoch=epoch,
            )
        if newest is not None:
            await self._redis.set(self._keys.catalog_cost_watch, newest.isoformat())
        return raised

    def _floor(self, registry: Registry, seen: Observation) -> Floor | None:
        try:
            return floor_for(registry.get(seen.model_id), seen.params, seen.consumed)
        except CatalogError:  # the model left the catalogue, or its parameters no longer price
            return None

    async def _since(self) -> datetime:
        mark = await self._redis.get(self._keys.catalog_cost_watch)
        if mark is None:
            return datetime.fromtimestamp(self._clock(), UTC) - FIRST_LOOK
        return datetime.fromisoformat(mark.decode() if isinstance(mark, bytes) else str(mark))

    async def _observations(self, since: datetime) -> tuple[list[Observation], datetime | None]:
        async with self._pool.connection() as conn:
            rows = await (await conn.execute(_SETTLED_SINCE, (since,))).fetchall()
        observations = [
            Observation(str(row[0]), str(row[1]), dict(row[2]), Decimal(str(row[3]))) for row in rows
        ]
        return observations, (rows[-1][4] if rows else None)

    async def _alert(self, seen: Observation, floor: Floor) -> None:
        reason = (
            f"{seen.model_id}: KIE consumed {seen.consumed} credits for job {seen.job_id}, above its price; "
            f"rate {floor.rate} raised to {floor.value} for new jobs"
        )
        log.warning(
            "price_raised_from_kie_cost", model=seen.model_id, rate=floor.rate, value=str(floor.value)
        )
        alert = Alert(
            kind=AlertKind.PRICE_RAISED, host=self._host, program="warmup", at=self._clock(), reason=reason
        )
        await self._alerts.record(alert)
