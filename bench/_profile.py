"""``python -m bench._profile [SECONDS]``: where the webhook spends its time under the ingress load.

Starts the private Redis (shipped persistence) and the webhook as ``bench.ingress`` does, drives it
with the same wrk load while py-spy samples the webhook process, then prints the functions that hold
the most samples, by own time and by time including callees. The raw collapsed stacks are left in
``var/ingress-profile.txt`` (one ``stack count`` line each, for flamegraph tools).
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import threading
from pathlib import Path

from bench._support import free_port, private_redis, serving
from bench.ingress import _webhook_env, load

OUTPUT = Path(__file__).parents[1] / "var" / "ingress-profile.txt"
TOP = 25


def _record(pid: int, seconds: int) -> None:
    py_spy = str(Path(sys.executable).parent / "py-spy")
    args = [py_spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "250"]
    args += ["--format", "raw", "--nonblocking", "--output", str(OUTPUT)]
    subprocess.run(args, check=True, capture_output=True)


def _tally(path: Path) -> tuple[collections.Counter[str], collections.Counter[str], int]:
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames, samples = stack.split(";"), int(count)
        total += samples
        own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    return own, inclusive, total


def main(seconds: int) -> None:
    """Profile the webhook for ``seconds`` under load and print the heaviest functions."""
    OUTPUT.parent.mkdir(exist_ok=True)
    port = free_port()
    with private_redis() as redis_url:
        args = [sys.executable, "-m", "services.webhook"]
        with serving(args, port, _webhook_env(port, redis_url, "http://127.0.0.1:9")) as webhook:
            load(port, 1, 2)
            recorder = threading.Thread(target=_record, args=(webhook.pid, seconds))
            recorder.start()
            result = load(port, 2, seconds)
            recorder.join()
    own, inclusive, total = _tally(OUTPUT)
    sys.stdout.write(f"{result['updates_per_s']:.0f} updates/s, p99 {result['p99_ms']:.2f} ms\n")
    for title, counter in (("own", own), ("inclusive", inclusive)):
        sys.stdout.write(f"-- {title} time, % of {total} samples\n")
        for frame, samples in counter.most_common(TOP):
            sys.stdout.write(f"{100 * samples / total:5.1f}%  {frame}\n")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("BENCH_PROFILE_SECONDS", "10")))
