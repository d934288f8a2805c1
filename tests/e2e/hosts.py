"""Two TRT hosts on one machine, for failover tests: freezing, sampling /health, reading the record.

Helpers only; the systems themselves are started with ``tests.e2e.system.start``.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import psutil
import psycopg

from tests.e2e.system import System, details_request


def registered_webhook(telegram_url: str) -> str:
    """The URL the Bot API emulator delivers updates to (set by the leader's setWebhook)."""
    with urllib.request.urlopen(f"{telegram_url}/_emulator/webhook", timeout=5) as response:
        return str(json.load(response)["result"]["info"]["url"])


def host_of(holder: str | None) -> str | None:
    return None if holder is None else holder.rsplit("/", 2)[0]


def live_leader(system: System, timeout: float = 0.5) -> dict[str, Any] | None:
    """The live leader object of a host's /health, or None (nobody leads, or no answer)."""
    try:
        with urllib.request.urlopen(details_request(system.port), timeout=timeout) as response:
            leader = json.load(response).get("leader")
    except (OSError, urllib.error.URLError, ValueError):
        return None
    if not leader or leader["holder"] is None or leader["expires_in"] <= 0:
        return None
    return dict(leader)


def leading_host(system: System) -> str | None:
    leader = live_leader(system)
    return None if leader is None else host_of(leader["holder"])


def process_tree(system: System) -> list[psutil.Process]:
    """supervisord and every process it runs (each program is its own process group)."""
    assert system.process is not None
    return [system.process, *system.process.children(recursive=True)]


def freeze(system: System) -> list[psutil.Process]:
    """SIGSTOP the whole host: supervisord first (so it sees nothing), then every program."""
    frozen = process_tree(system)
    for process in frozen:
        os.kill(process.pid, signal.SIGSTOP)
    return frozen


def thaw(frozen: list[psutil.Process]) -> None:
    """SIGCONT what :func:`freeze` stopped, programs first."""
    for process in reversed(frozen):
        os.kill(process.pid, signal.SIGCONT)


def activity(database_url: str) -> list[tuple[int, int, str, float]]:
    """The fenced leader activity log: (id, epoch, holder, unix time), in commit order of ids."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT id, epoch, holder, extract(epoch FROM at) FROM leader_activity ORDER BY id"
        ).fetchall()
    return [(int(r[0]), int(r[1]), str(r[2]), float(r[3])) for r in rows]


def assert_terms_never_overlap(rows: list[tuple[int, int, str, float]]) -> None:
    """Accepted leader writes: epochs never go back, and a term's writes all precede the next term's."""
    epochs = [row[1] for row in rows]
    assert epochs == sorted(epochs), f"a stale epoch wrote after a newer one: {epochs}"
    spans: dict[int, tuple[float, float, str]] = {}
    for _, epoch, holder, at in rows:
        first, last, _ = spans.get(epoch, (at, at, holder))
        spans[epoch] = (min(first, at), max(last, at), holder)
    ordered = sorted(spans.items())
    for (older, (_, older_last, _)), (newer, (newer_first, _, _)) in itertools.pairwise(ordered):
        assert older_last < newer_first, f"epochs {older} and {newer} both acted at once"


@dataclass
class Sample:
    at: float
    leaders: dict[str, str | None]
    epochs: dict[str, int | None]


@dataclass
class HealthSampler:
    """Reads every host's /health every ``interval`` seconds in a thread, keeping what each saw."""

    systems: dict[str, System]
    interval: float = 0.05
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> HealthSampler:
        self._thread = threading.Thread(target=self._run, name="health-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.is_set():
            leaders: dict[str, str | None] = {}
            epochs: dict[str, int | None] = {}
            for name, system in self.systems.items():
                leader = live_leader(system, timeout=0.2)
                leaders[name] = None if leader is None else host_of(leader["holder"])
                epochs[name] = None if leader is None else int(leader["epoch"])
            self.samples.append(Sample(time.time(), leaders, epochs))
            self._stop.wait(self.interval)

    def assert_never_two_leaders(self) -> None:
        """No sample shows two live leaders, and the live epoch never goes back."""
        assert len(self.samples) > 10, "the sampler took too few samples"
        highest = 0
        for sample in self.samples:
            seen = {host for host in sample.leaders.values() if host is not None}
            assert len(seen) <= 1, f"two leaders at {sample.at}: {sample.leaders}"
            for epoch in sample.epochs.values():
                if epoch is not None:
                    assert epoch >= highest, f"epoch went back to {epoch} from {highest}"
                    highest = epoch

    def leaders_seen(self) -> list[str]:
        """Distinct live leaders in the order they appeared."""
        order: list[str] = []
        for sample in self.samples:
            for host in sample.leaders.values():
                if host is not None and (not order or order[-1] != host):
                    order.append(host)
        return order
