"""Cost floors: the rate that priced a job KIE charged more for is raised to cover it, nothing else."""

from __future__ import annotations

from decimal import Decimal

import redis.asyncio as aioredis

from shared.catalog import Registry, load_registry
from shared.catalog.cost_floors import CostFloors, Floor, apply_floors, floor_for
from shared.catalog.pricing import model_price
from shared.catalog.store import Origin, SnapshotStore
from shared.keys import Keys

MODEL = "wan/2-6-text-to-video"  # per second; 720p rate 14, 1080p rate 21 (index 1), default 1080p 5 s
HD = {"prompt": "a fox", "resolution": "1080p", "duration": "5"}
SD = {"prompt": "a fox", "resolution": "720p", "duration": "5"}


def document() -> dict[str, object]:
    snapshot: dict[str, object] = load_registry().to_snapshot()["document"]
    return snapshot


class TestFloorFor:
    def test_the_rate_that_priced_the_job_is_raised_to_cover_what_kie_consumed(self) -> None:
        model = load_registry().get(MODEL)
        assert model_price(model, HD) == 105
        floor = floor_for(model, HD, Decimal("130.5"))
        assert floor is not None and (floor.model_id, floor.rate) == (MODEL, "1")
        raised = Registry.from_document(apply_floors(document(), {floor.field: floor.value})[0]).get(MODEL)
        assert model_price(raised, HD) >= Decimal("130.5")
        assert model_price(raised, HD) <= 132  # covered, not padded
        assert model_price(raised, SD) == model_price(model, SD) == 70  # the other rate is untouched

    def test_a_job_kie_charged_no_more_than_its_price_leaves_it(self) -> None:
        model = load_registry().get(MODEL)
        assert floor_for(model, HD, Decimal(105)) is None
        assert floor_for(model, HD, Decimal("80.25")) is None


class TestApplyFloors:
    def test_a_floor_below_the_price_never_lowers_it(self) -> None:
        raised, applied = apply_floors(
            document(), {f"{MODEL}|1": Decimal(10), "gone/model|base": Decimal(99)}
        )
        assert applied == []
        assert model_price(Registry.from_document(raised).get(MODEL), HD) == 105


class TestCostFloorsInTheStore:
    async def test_every_publish_carries_the_floors(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """A file snapshot published after a raise is already priced at the floor, and is its own base."""
        keys = Keys(key_prefix)
        floors = CostFloors(redis_client, keys)
        assert await floors.raise_to(Floor(MODEL, "1", Decimal(26)))
        assert not await floors.raise_to(Floor(MODEL, "1", Decimal(25)))  # never lowered
        store = SnapshotStore(redis_client, keys)
        registry = load_registry()
        await store.publish(registry, base=registry.version, origin=Origin.FILE, expected=None)
        current = await store.read_current()
        assert current is not None and current.version != registry.version
        assert current.base == current.version
        assert model_price(current.registry.get(MODEL), HD) == 130
