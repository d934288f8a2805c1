"""Command line: `python -m emulators.telegram --port N [--token TOKEN ...]`.

Prints one line, "telegram emulator listening on http://127.0.0.1:N", once it accepts connections,
and runs until SIGTERM or SIGINT. Logs go to stderr so stdout carries only that line.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

import structlog

from .app import run_emulator
from .delivery import DeliveryPolicy
from .state import DEFAULT_TOKEN, BotApiState

log = structlog.get_logger(__name__)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m emulators.telegram", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--token", action="extend", nargs="+", default=None, help="bot token(s) to accept; repeatable"
    )
    parser.add_argument("--retry-initial", type=float, default=0.1, help="first webhook retry delay (s)")
    parser.add_argument("--retry-max", type=float, default=2.0, help="longest webhook retry delay (s)")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> int:
    """Run the emulator until a stop signal arrives."""
    state = BotApiState(args.token or [DEFAULT_TOKEN])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    policy = DeliveryPolicy(initial_backoff=args.retry_initial, max_backoff=args.retry_max)
    async with run_emulator(state, port=args.port, host=args.host, delivery=policy) as running:
        sys.stdout.write(f"telegram emulator listening on {running.url}\n")
        sys.stdout.flush()
        log.info("emulator_started", url=running.url, bots=len(state.bots))
        await stop.wait()
    log.info("emulator_stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point: configure logging to stderr, then serve."""
    structlog.configure(
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
    )
    return asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
