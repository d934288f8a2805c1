"""Command line: `python -m emulators.kie --port N [--api-key KEY[=CREDITS] ...] [--upload-port M]`.

Prints one line, "kie emulator listening on http://127.0.0.1:N", once it accepts connections, and
runs until SIGTERM or SIGINT. Logs go to stderr so stdout carries only that line.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

import structlog

from .app import run_emulator
from .config import (
    DEFAULT_API_KEY,
    AudioFormat,
    CallbackPolicy,
    ChargeOn,
    EmulatorConfig,
    PhaseDurations,
    RateLimits,
    default_phases,
)
from .docs_table import DEFAULT_DOCS_PATH, load_docs_table
from .model import OutputKind
from .state import KieState

log = structlog.get_logger(__name__)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m emulators.kie", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--upload-port", type=int, default=None, help="upload host port (default: --port)")
    parser.add_argument("--api-key", action="append", default=None, help="KEY or KEY=CREDITS; repeatable")
    parser.add_argument("--credits", type=float, default=10_000.0, help="starting credits of each key")
    parser.add_argument("--docs", default=str(DEFAULT_DOCS_PATH), help="the docs table of Market models")
    parser.add_argument("--hmac-key", default=None, help="sign callbacks (X-Webhook-Signature)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--charge-on", choices=[c.value for c in ChargeOn], default=ChargeOn.SUCCESS.value)
    parser.add_argument("--mirror-http-status", action="store_true", help="errors also as HTTP status")
    parser.add_argument("--no-rate-limits", action="store_true", help="switch off KIE's 20/10 s, 10/s")
    parser.add_argument(
        "--duration",
        action="append",
        default=[],
        help="NAME=SECONDS per task: all, image|video|audio, or a type (text-to-video); repeatable",
    )
    parser.add_argument("--retry-delays", default="1,2,4", help="callback retry delays in seconds")
    parser.add_argument("--audio-format", choices=[f.value for f in AudioFormat], default="mp3")
    parser.add_argument("--frozen-clock", action="store_true", help="time moves only via the control API")
    return parser.parse_args(argv)


def _keys(args: argparse.Namespace) -> dict[str, float]:
    keys: dict[str, float] = {}
    for item in args.api_key or [DEFAULT_API_KEY]:
        key, _, credits = item.partition("=")
        keys[key] = float(credits) if credits else args.credits
    return keys


def _phases(items: list[str]) -> dict[str, PhaseDurations]:
    """NAME=SECONDS: NAME is all, an output kind (image, video, audio) or a generation type."""
    phases: dict[str, PhaseDurations] = dict(default_phases())
    for item in items:
        name, _, seconds = item.partition("=")
        targets = [k.value for k in OutputKind] if name in ("*", "all") else [name]
        for target in targets:
            phases[target] = PhaseDurations.split(float(seconds))
    return phases


def build_config(args: argparse.Namespace) -> EmulatorConfig:
    """The emulator configuration the arguments describe."""
    delays = tuple(float(part) for part in args.retry_delays.split(",") if part.strip())
    return EmulatorConfig(
        api_keys=_keys(args),
        phases=_phases(args.duration),
        callbacks=CallbackPolicy(retry_delays=delays),
        rate_limits=RateLimits(None, 10.0, None) if args.no_rate_limits else RateLimits(),
        hmac_key=args.hmac_key,
        charge_on=ChargeOn(args.charge_on),
        mirror_http_status=args.mirror_http_status,
        seed=args.seed,
        audio_format=AudioFormat(args.audio_format),
    )


async def serve(args: argparse.Namespace) -> int:
    """Run the emulator until a stop signal arrives."""
    state = KieState(build_config(args), docs=load_docs_table(Path(args.docs)))
    if args.frozen_clock:
        state.clock.set_frozen(True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with run_emulator(state, port=args.port, host=args.host, upload_port=args.upload_port) as running:
        sys.stdout.write(f"kie emulator listening on {running.url}\n")
        sys.stdout.flush()
        log.info("kie_emulator_started", url=running.url, upload_url=running.upload_url)
        await stop.wait()
    log.info("kie_emulator_stopped")
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
