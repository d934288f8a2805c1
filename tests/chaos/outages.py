"""Storage outages under load: the private Redis and PostgreSQL stopped cleanly, or crashed by SIGKILL,
and started again (a crash keeps only what was made durable: Redis's fsynced append-only file,
PostgreSQL's WAL, which its next start replays)."""

from __future__ import annotations

import time

from tests.chaos.servers import DurableRedis, PrivatePostgres
from tests.chaos.timeline import Timeline

__all__ = ["restart_postgres", "restart_redis", "sigkill_postgres", "sigkill_redis"]


def restart_redis(redis_server: DurableRedis, timeline: Timeline, down: float = 3.0) -> None:
    """Stop Redis (it flushes its append-only file), keep it down ``down`` s, start it again."""
    with timeline.fault("restart redis"):
        redis_server.stop()
        time.sleep(down)
        redis_server.start()


def restart_postgres(postgres: PrivatePostgres, timeline: Timeline, down: float = 3.0) -> None:
    """Fast-stop PostgreSQL (every session cut), keep it down ``down`` s, start it again."""
    with timeline.fault("restart postgres"):
        postgres.stop()
        time.sleep(down)
        postgres.start()


def sigkill_redis(
    redis_server: DurableRedis, timeline: Timeline, times: int = 3, down: float = 2.0, apart: float = 4.0
) -> None:
    """``times`` times: SIGKILL Redis, keep it down ``down`` s, start it, let the load run ``apart`` s."""
    for _ in range(times):
        with timeline.fault("sigkill redis"):
            redis_server.sigkill()
            time.sleep(down)
            redis_server.start()
        time.sleep(apart)


def sigkill_postgres(
    postgres: PrivatePostgres, timeline: Timeline, times: int = 2, down: float = 2.0, apart: float = 4.0
) -> None:
    """``times`` times: SIGKILL the whole cluster, keep it down ``down`` s, start it (crash recovery)."""
    for _ in range(times):
        with timeline.fault("sigkill postgres"):
            postgres.sigkill()
            time.sleep(down)
            postgres.start()
        time.sleep(apart)
