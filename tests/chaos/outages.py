"""Storage outages under load: the private Redis and the private PostgreSQL stopped and started again."""

from __future__ import annotations

import time

from tests.chaos.servers import DurableRedis, PrivatePostgres
from tests.chaos.timeline import Timeline

__all__ = ["restart_postgres", "restart_redis"]


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
