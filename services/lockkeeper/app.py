"""The lock keeper program: holds the leader lease for this host and publishes who leads.

``LOCK_BACKEND`` picks the one authority of the deployment (Redis or PostgreSQL); the lease is
published to Redis either way. The program also runs its own fenced leader duty
(:class:`~services.lockkeeper.beat.ActivityBeat`) and the streams' time-based trimming
(:class:`~shared.streams.retention.StreamJanitor`) through the same :class:`LeaderWatch` every other
program uses, and refreshes the leadership, epoch and inbox gauges of its metrics endpoint.
"""

from __future__ import annotations

import asyncio

from services.lockkeeper.beat import ActivityBeat
from services.lockkeeper.keeper import LeaseKeeper
from shared.heartbeat import ProcessState
from shared.lease.backend import LeaderBoard
from shared.lease.leadership import LeaderWatch, run_while_leader
from shared.lease.postgres import PostgresLease
from shared.lease.predecessor import PredecessorProbe, process_origin
from shared.lease.redis import RedisLease
from shared.ops.gauges import SystemGauges
from shared.process import Program, Runtime
from shared.settings import LockBackend
from shared.streams.retention import StreamJanitor, retentions
from shared.terms import TermLedger

__all__ = ["PROGRAM", "build_keeper", "serve"]

PROGRAM_NAME = "lockkeeper"


def build_keeper(runtime: Runtime) -> LeaseKeeper:
    """A keeper for the configured backend, with the other store as the source of its epoch floor."""
    settings, holder = runtime.settings, runtime.identity.holder_id
    ttl = settings.LEASE_TTL_SECONDS
    board = LeaderBoard(runtime.redis, runtime.keys, keep_seconds=ttl * 2)
    gone, origin = (
        PredecessorProbe(holder, program_marker=f"services.{PROGRAM_NAME}").is_gone,
        process_origin(),
    )
    redis_lease = RedisLease(runtime.redis, runtime.keys, holder, ttl)
    if settings.LOCK_BACKEND is LockBackend.POSTGRES:
        pg_lease = PostgresLease(
            settings.DATABASE_URL, holder, ttl, connect_timeout=settings.DATABASE_CONNECT_TIMEOUT_SECONDS
        )
        # PostgreSQL records its own terms in the acquiring statement.
        floor = redis_lease.highest_epoch
        return LeaseKeeper(pg_lease, board, ttl, floor=floor, predecessor_gone=gone, origin=origin)
    assert runtime.db is not None
    ledger = TermLedger(runtime.db)

    async def record(epoch: int, term_holder: str) -> None:
        await ledger.record(epoch, term_holder, LockBackend.REDIS.value)

    return LeaseKeeper(
        redis_lease,
        board,
        ttl,
        floor=ledger.highest_epoch,
        record=record,
        predecessor_gone=gone,
        origin=origin,
    )


async def serve(runtime: Runtime) -> None:
    """Keep the lease and run the activity beat while leading, until the stop event."""
    assert runtime.db is not None
    keeper = build_keeper(runtime)
    watch = LeaderWatch(runtime.redis, runtime.keys, runtime.identity.host)
    interval = runtime.settings.LEASE_TTL_SECONDS / 3
    beat = ActivityBeat(runtime.db, runtime.identity.holder_id, interval)
    runtime.set_state(ProcessState.RUNNING)
    async with asyncio.TaskGroup() as group:
        group.create_task(keeper.run(runtime.stop), name="lockkeeper:lease")
        group.create_task(watch.run(runtime.stop), name="lockkeeper:watch")
        duty = run_while_leader(watch, beat, runtime.stop, name="leader-activity")
        group.create_task(duty, name="lockkeeper:activity")
        settings = runtime.settings
        plan = retentions(settings, runtime.keys)
        janitor = StreamJanitor(runtime.redis, plan, settings.STREAM_TRIM_INTERVAL_SECONDS)
        trimming = run_while_leader(watch, janitor, runtime.stop, name="stream-trim")
        group.create_task(trimming, name="lockkeeper:stream-trim")
        gauges = SystemGauges(runtime.redis, runtime.keys, runtime.identity.host)
        group.create_task(gauges.run(runtime.stop), name="lockkeeper:gauges")


PROGRAM = Program(name=PROGRAM_NAME, serve=serve)
