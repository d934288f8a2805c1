"""``python -m shared.ops.status``: one table of every program on every host, and whether all is well.

Exit status: 0 when nothing needs attention, 1 when something does (a program not RUNNING, a stale
heartbeat, no leader, dead letters, an inbox entry waiting too long, supervisord not answering), 2 when
the report could not be made (bad settings, Redis unreachable). So it can serve as a health probe.

Reads the same environment as the programs (``REDIS_URL``, ``REDIS_KEY_PREFIX``, ``HOST_ID``,
``DATABASE_URL``); this host's supervisord is found at ``--socket`` (default ``var/supervisor.sock``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence

from redis.exceptions import RedisError

from shared.errors import ConfigError
from shared.keys import Keys
from shared.ops.report import StatusReport, collect
from shared.ops.supervisor import SupervisorClient, socket_url
from shared.ops.table import Thresholds, as_json, problems, render
from shared.redis import create_redis
from shared.settings import Settings, load_settings

__all__ = ["EXIT_ATTENTION", "EXIT_OK", "EXIT_UNKNOWN", "main"]

EXIT_OK = 0
EXIT_ATTENTION = 1
EXIT_UNKNOWN = 2


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m shared.ops.status", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--socket", default="var/supervisor.sock", help="this host's supervisord socket")
    parser.add_argument("--no-supervisor", action="store_true", help="show heartbeats only (no supervisord)")
    parser.add_argument(
        "--max-pending-age", type=float, default=120.0, help="seconds an inbox entry may wait"
    )
    return parser.parse_args(argv)


async def _report(settings: Settings, args: argparse.Namespace) -> StatusReport:
    redis = create_redis(settings, read_timeout=5.0)
    try:
        supervisor = None if args.no_supervisor else SupervisorClient(socket_url(args.socket))
        keys = Keys(settings.REDIS_KEY_PREFIX)
        return await collect(redis, keys, settings.HOST_ID, supervisor, settings.DATABASE_URL)
    finally:
        await redis.aclose()


def main(argv: Sequence[str] | None = None) -> int:
    """Print the status of the whole system; return the probe's exit status."""
    args = _arguments(argv)
    try:
        settings = load_settings()
        report = asyncio.run(_report(settings, args))
    except ConfigError as exc:
        sys.stderr.write(f"status: configuration error: {exc}\n")
        return EXIT_UNKNOWN
    except (RedisError, OSError) as exc:
        sys.stderr.write(f"status: Redis unavailable: {exc}\n")
        return EXIT_UNKNOWN
    interval = settings.HEARTBEAT_INTERVAL_SECONDS
    limits = Thresholds(heartbeat_stale_s=2 * interval + 1.0, max_pending_age_s=args.max_pending_age)
    found = problems(report, limits)
    out = json.dumps(as_json(report, found), indent=2) + "\n" if args.json else render(report, found)
    sys.stdout.write(out)
    return EXIT_ATTENTION if found else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
