"""Fencing: PostgreSQL rejects a leader write whose epoch is older than the current one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from shared.lease.fencing import Fence, StaleEpoch
from shared.terms import TermLedger
from tests.shared.servers import _lease_db  # noqa: F401  (fixture)


@pytest.fixture(name="pool")
async def _pool(lease_db: str) -> AsyncIterator[AsyncConnectionPool[Any]]:
    async with AsyncConnectionPool(lease_db, min_size=1, max_size=4, open=False) as pool:
        await pool.open()
        async with pool.connection() as conn:
            await conn.execute("CREATE TABLE duty_writes (id serial PRIMARY KEY, epoch bigint)")
        yield pool


async def write(fence: Fence, epoch: int, resource: str = "catalog") -> None:
    async with fence.transaction(resource, epoch, holder=f"h{epoch}") as conn:
        await conn.execute("INSERT INTO duty_writes (epoch) VALUES (%s)", (epoch,))


async def epochs_written(pool: AsyncConnectionPool[Any]) -> list[int]:
    async with pool.connection() as conn:
        rows = await (await conn.execute("SELECT epoch FROM duty_writes ORDER BY id")).fetchall()
    return [int(row[0]) for row in rows]


class TestFence:
    async def test_a_newer_epoch_passes_and_an_older_one_is_rejected(
        self, pool: AsyncConnectionPool[Any]
    ) -> None:
        """After epoch 5 wrote, epoch 4 is rejected and its write rolled back; 5 and 6 pass."""
        fence = Fence(pool)
        await write(fence, 5)
        with pytest.raises(StaleEpoch) as caught:
            await write(fence, 4)
        await write(fence, 5)
        await write(fence, 6)
        assert (caught.value.epoch, caught.value.current) == (4, 5)
        assert await epochs_written(pool) == [5, 5, 6]

    async def test_a_recorded_term_fences_resources_it_never_wrote(
        self, pool: AsyncConnectionPool[Any]
    ) -> None:
        """Once term 8 is recorded, epoch 7 is rejected even on a resource nobody wrote yet."""
        await TermLedger(pool).record(8, "new-leader", "redis")
        with pytest.raises(StaleEpoch):
            await write(Fence(pool), 7, resource="untouched")
        assert await epochs_written(pool) == []

    async def test_resources_are_fenced_independently(self, pool: AsyncConnectionPool[Any]) -> None:
        """A newer epoch on one resource does not block an equal epoch on another."""
        fence = Fence(pool)
        await write(fence, 3, resource="a")
        await write(fence, 2, resource="b")
        assert await epochs_written(pool) == [3, 2]

    async def test_an_error_in_the_write_leaves_the_fence_unmoved(
        self, pool: AsyncConnectionPool[Any]
    ) -> None:
        """The fence advances in the same transaction as the write: a failed write advances nothing."""
        fence = Fence(pool)
        with pytest.raises(psycopg.errors.UndefinedTable):
            async with fence.transaction("catalog", 9) as conn:
                await conn.execute("INSERT INTO no_such_table VALUES (1)")
        await write(fence, 1)
        assert await epochs_written(pool) == [1]

    async def test_a_stale_writer_waiting_on_the_fence_loses(self, pool: AsyncConnectionPool[Any]) -> None:
        """Two concurrent writers: the older epoch, blocked by the newer one's open transaction, fails."""
        fence = Fence(pool)
        await write(fence, 1)
        newer_holds = asyncio.Event()
        release = asyncio.Event()

        async def newer() -> None:
            async with fence.transaction("catalog", 3) as conn:
                await conn.execute("INSERT INTO duty_writes (epoch) VALUES (3)")
                newer_holds.set()
                await release.wait()

        task = asyncio.create_task(newer())
        await newer_holds.wait()
        stale = asyncio.create_task(write(fence, 2))
        await asyncio.sleep(0.2)
        release.set()
        await task
        with pytest.raises(StaleEpoch):
            await stale
        assert await epochs_written(pool) == [1, 3]


class TestTermLedger:
    async def test_highest_epoch_covers_terms_and_fences(self, pool: AsyncConnectionPool[Any]) -> None:
        """The floor for a new term is above every recorded term and every fenced write."""
        ledger = TermLedger(pool)
        assert await ledger.highest_epoch() == 0
        await ledger.record(4, "a", "redis")
        await ledger.record(4, "a", "redis")
        assert await ledger.highest_epoch() == 4
        await write(Fence(pool), 6)
        assert await ledger.highest_epoch() == 6
