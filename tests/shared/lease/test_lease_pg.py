"""The PostgreSQL lease backend: a lease row judged by the database clock, on a dedicated connection."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from shared.lease.backend import LeaseConnectionLost
from shared.lease.postgres import PostgresLease
from tests.shared.servers import _lease_db  # noqa: F401  (fixture)


def lease(url: str, holder: str, ttl: float = 5.0) -> PostgresLease:
    return PostgresLease(url, holder, ttl, connect_timeout=2.0)


def sql(url: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(query.encode())
        return cursor.fetchall() if cursor.description else []


class TestPostgresLease:
    async def test_only_one_holder_at_a_time(self, lease_db: str) -> None:
        """A second holder cannot take a live lease row."""
        first, second = lease(lease_db, "a"), lease(lease_db, "b")
        try:
            assert await first.try_acquire() == 1
            assert await second.try_acquire() is None
        finally:
            await first.aclose()
            await second.aclose()

    async def test_a_dead_holders_term_is_taken_over_with_the_next_epoch(self, lease_db: str) -> None:
        """A live row of a holder proved dead is replaced at once; a live row of anyone else is not."""
        dead, restarted = lease(lease_db, "a/k/1"), lease(lease_db, "a/k/2")
        try:
            assert await dead.try_acquire() == 1
            assert await restarted.try_acquire(dead_holder="a/k/9") is None
            assert await restarted.try_acquire(dead_holder="a/k/1") == 2
            assert not await dead.renew()
            assert await restarted.renew()
        finally:
            await dead.aclose()
            await restarted.aclose()

    async def test_epoch_grows_and_terms_are_recorded(self, lease_db: str) -> None:
        """Every acquisition bumps the epoch and records the term in leader_terms."""
        first, second = lease(lease_db, "a"), lease(lease_db, "b")
        try:
            assert await first.try_acquire() == 1
            assert await first.release()
            assert await second.try_acquire() == 2
            assert await second.highest_epoch() == 2
        finally:
            await first.aclose()
            await second.aclose()
        terms = sql(lease_db, "SELECT epoch, holder, backend FROM leader_terms ORDER BY epoch")
        assert terms == [(1, "a", "postgres"), (2, "b", "postgres")]

    async def test_epoch_starts_above_every_known_epoch(self, lease_db: str) -> None:
        """The new epoch is above the floor, recorded Redis terms and the fence table."""
        sql(lease_db, "INSERT INTO leader_terms (epoch, holder, backend) VALUES (10, 'r', 'redis')")
        sql(lease_db, "INSERT INTO fence (resource, epoch) VALUES ('x', 12)")
        holder = lease(lease_db, "a")
        try:
            assert await holder.try_acquire(floor=5) == 13
            assert await holder.release()
            assert await holder.try_acquire(floor=20) == 21
        finally:
            await holder.aclose()

    async def test_expiry_is_judged_by_the_database_clock(self, lease_db: str) -> None:
        """Once expires_at passes on the server, renewal fails and another holder gets a new epoch."""
        first, second = lease(lease_db, "a", ttl=1.0), lease(lease_db, "b")
        try:
            assert await first.try_acquire() == 1
            sql(lease_db, "UPDATE leader_lease SET expires_at = now() - interval '1 second'")
            assert not await first.renew()
            assert await second.try_acquire() == 2
        finally:
            await first.aclose()
            await second.aclose()

    async def test_renew_is_a_compare_and_set_on_holder_and_epoch(self, lease_db: str) -> None:
        """A row taken over by another holder cannot be renewed by the old one."""
        first, second = lease(lease_db, "a"), lease(lease_db, "b")
        try:
            await first.try_acquire()
            sql(lease_db, "UPDATE leader_lease SET expires_at = now()")
            assert await second.try_acquire() == 2
            assert not await first.renew()
            assert await second.renew()
        finally:
            await first.aclose()
            await second.aclose()

    async def test_renew_extends_to_a_full_ttl(self, lease_db: str) -> None:
        """Renewal sets expires_at to now() + TTL on the server."""
        holder = lease(lease_db, "a", ttl=3.0)
        try:
            await holder.try_acquire()
            sql(lease_db, "UPDATE leader_lease SET expires_at = now() + interval '100 ms'")
            assert await holder.renew()
        finally:
            await holder.aclose()
        (remaining,) = sql(lease_db, "SELECT extract(epoch FROM expires_at - now()) FROM leader_lease")[0]
        assert 2.5 < float(str(remaining)) <= 3.0

    async def test_release_only_when_still_held(self, lease_db: str) -> None:
        """Release ends a live term; a second release or a stale holder's release does nothing."""
        first, second = lease(lease_db, "a"), lease(lease_db, "b")
        try:
            await first.try_acquire()
            assert await first.release()
            assert not await first.release()
            await second.try_acquire()
            assert (await first.try_acquire()) is None
        finally:
            await first.aclose()
            await second.aclose()

    async def test_terminated_backend_is_connection_lost_then_reconnects(self, lease_db: str) -> None:
        """A server-side kill of the connection is 'not confirmed'; the next call reconnects and renews."""
        holder = lease(lease_db, "a")
        try:
            await holder.try_acquire()
            pid = holder.backend_pid
            sql(lease_db, f"SELECT pg_terminate_backend({pid})")
            with pytest.raises(LeaseConnectionLost):
                await holder.renew()
            assert holder.backend_pid is None
            assert await holder.renew()
            assert holder.backend_pid not in (None, pid)
        finally:
            await holder.aclose()

    async def test_a_blocked_statement_times_out_and_drops_the_connection(self, lease_db: str) -> None:
        """A statement stuck behind a lock is cut by the budget; the connection is not reused."""
        holder = lease(lease_db, "a", ttl=0.9)
        await holder.try_acquire()
        pid = holder.backend_pid
        with psycopg.connect(lease_db) as blocker:
            blocker.execute("SELECT * FROM leader_lease FOR UPDATE")
            with pytest.raises(LeaseConnectionLost):
                await holder.renew()
            blocker.rollback()
        assert holder.backend_pid is None
        assert await holder.renew()
        assert holder.backend_pid != pid
        await holder.aclose()

    async def test_the_connection_is_dedicated_and_named(self, lease_db: str) -> None:
        """The lease connection shows up in pg_stat_activity under the holder's application name."""
        holder = lease(lease_db, "host-x/lockkeeper/9")
        try:
            await holder.try_acquire()
            rows = sql(
                lease_db,
                f"SELECT application_name FROM pg_stat_activity WHERE pid = {holder.backend_pid}",
            )
            assert rows == [("trt-lease host-x/lockkeeper/9",)]
        finally:
            await holder.aclose()

    async def test_concurrent_acquires_grant_one_term(self, lease_db: str) -> None:
        """Ten holders racing for a free row: exactly one wins."""
        holders = [lease(lease_db, f"h{i}") for i in range(10)]
        try:
            results = await asyncio.gather(*(holder.try_acquire() for holder in holders))
        finally:
            await asyncio.gather(*(holder.aclose() for holder in holders))
        assert sorted(result for result in results if result is not None) == [1]
