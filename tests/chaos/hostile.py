"""Malformed and hostile input to every endpoint of a quiet system, each request checked for effects.

For every request (the fixed corpus, then hypothesis-generated ones, then slow clients) the scenario
takes a state snapshot (``StateProbe``) before and after: any difference is a *hostile state change*.
An answer is *clear* when it is one of the case's expected statuses (all 4xx except the read-only GETs),
or, for bodies the server need not read (10 MB, truncated), a closed connection. Requests go over raw
sockets so that bodies, lengths and headers can be anything.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from tests.chaos.corpus import Case, Targets, callback_cases, fixed_corpus, update_cases
from tests.chaos.state import StateProbe

__all__ = ["HostileInput"]

CLOSED = -1  # the server closed the connection without an answer


def send_raw(port: int, case: Case, timeout: float = 20.0) -> int:
    """Send ``case`` over a new connection; the answer's status, or CLOSED."""
    length = len(case.body) if case.declared_length is None else case.declared_length
    head = [f"{case.method} {case.path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    head += [f"{name}: {value}" for name, value in case.headers.items()]
    if case.body or case.method == "POST":
        head.append(f"Content-Length: {length}")
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("utf-8") + case.body)
            if case.declared_length is not None:
                sock.shutdown(socket.SHUT_WR)
        except OSError:  # the server answered early and closed (a body it refused to read)
            pass
        return _read_status(sock)


def _read_status(sock: socket.socket) -> int:
    try:
        first = sock.recv(64)
    except OSError:
        return CLOSED
    parts = first.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        return CLOSED
    return int(parts[1])


@dataclass
class HostileInput:
    """Runs the hostile cases against one webhook port and keeps the tally."""

    port: int
    targets: Targets
    probe: StateProbe
    examples: int = 150
    tried: int = 0
    state_changes: list[str] = field(default_factory=list)
    unclear: list[str] = field(default_factory=list)
    _before: dict[str, object] | None = None

    def run(self) -> None:
        """The fixed corpus, hypothesis over both POST routes, then slow clients."""
        self._before = self.probe.snapshot()
        for case in fixed_corpus(self.targets):
            self.check(case)
        self._explore(update_cases(self.targets))
        self._explore(callback_cases(self.targets))
        self.slow_clients()

    def check(self, case: Case) -> None:
        """Send one case; note an unclear answer and any change of state it caused."""
        status = send_raw(self.port, case)
        self.tried += 1
        clear = status in case.expect or (status == CLOSED and case.may_close)
        if not clear:
            self.unclear.append(f"{case.name} {case.path[:60]!r}: {status}")
        self._compare(case.name)

    def _compare(self, what: str) -> None:
        after = self.probe.snapshot()
        if after != self._before:
            self.state_changes.append(f"{what}: {self._before} -> {after}")
        self._before = after

    def _explore(self, cases: st.SearchStrategy[Case]) -> None:
        @seed(20260)
        @settings(
            max_examples=self.examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(cases)
        def explore(case: Case) -> None:
            self.check(case)

        explore()

    def slow_clients(self, clients: int = 20, seconds: float = 6.0) -> None:
        """Clients that trickle their headers and bodies; meanwhile /health must answer promptly."""
        stop = threading.Event()
        threads = [
            threading.Thread(target=self._trickle, args=(n, stop), daemon=True) for n in range(clients)
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.monotonic()
            status = send_raw(self.port, Case("health during slow clients", "GET", "/health"), timeout=5)
            if status != 200 or time.monotonic() - started > 2.0:
                self.unclear.append(f"/health answered {status} in {time.monotonic() - started:.1f}s")
            time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join(10)
        self.tried += clients
        self._compare("slow clients")

    def _trickle(self, n: int, stop: threading.Event) -> None:
        """Send a webhook request one byte at a time until stopped (then hang up)."""
        body = b'{"update_id": 4000000002, "message": {"text": "slow"}}'
        secret = self.targets.secret if n % 2 else "wrong"
        request = (
            f"POST /telegram/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body) * 4}\r\n"
            f"X-Telegram-Bot-Api-Secret-Token: {secret}\r\n\r\n"
        ).encode() + body
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
                for index in range(len(request)):
                    if stop.wait(0.1):
                        return
                    sock.sendall(request[index : index + 1])
        except OSError:  # the server may drop a client this slow: that is allowed
            return
