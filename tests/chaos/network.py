"""A second host for the chaos suite: a network namespace of its own, joined to this one by a veth pair.

The shared services (the private Redis and PostgreSQL, both emulators) listen on ``service_address``,
an extra address on this namespace's loopback: programs here reach it as any local address, the second
host's programs through the veth pair. ``cut`` takes this namespace's end of the pair down: the second
host keeps its address and routes, but everything it sends is silently dropped and nothing reaches it,
as behind a failed switch port; open connections stall (their late segments arrive after the cut
heals), new ones fail once the neighbour entry expires. Nothing leaves these two namespaces.

Needs root and ``ip`` (iproute2). Every name carries ``tag`` (from the test process id) so concurrent
runs do not meet; ``close`` removes the namespace, the pair and the address, also after a failed run.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["HostNetwork"]


class HostNetwork:
    """A namespace for the second host and the link that joins it to this one."""

    def __init__(self, tag: int | None = None) -> None:
        self.tag = tag if tag is not None else 20 + os.getpid() % 200
        self.namespace = f"trtc{self.tag}"
        self._outer = f"trtc{self.tag}o"
        self._inner = f"trtc{self.tag}i"
        self.service_address = f"10.213.{self.tag}.1"
        self._outer_address = f"10.214.{self.tag}.1"
        self.host_address = f"10.214.{self.tag}.2"
        self.cut_seconds = 0.0

    @property
    def subnet(self) -> str:
        """Where the second host's connections come from (for PostgreSQL's pg_hba)."""
        return f"{self.host_address}/32"

    def exec_prefix(self) -> list[str]:
        """Prefix that runs a command inside the second host's namespace."""
        return ["ip", "netns", "exec", self.namespace]

    def open(self) -> None:
        """Create the namespace, the veth pair and the routes both ways."""
        self.close()
        _ip("netns", "add", self.namespace)
        _ip("link", "add", self._outer, "type", "veth", "peer", "name", self._inner)
        _ip("link", "set", self._inner, "netns", self.namespace)
        _ip("addr", "add", f"{self.service_address}/32", "dev", "lo")
        _ip("addr", "add", f"{self._outer_address}/30", "dev", self._outer)
        _ip("link", "set", self._outer, "up")
        inside = ["-n", self.namespace]
        _ip(*inside, "addr", "add", f"{self.host_address}/30", "dev", self._inner)
        _ip(*inside, "link", "set", "lo", "up")
        _ip(*inside, "link", "set", self._inner, "up")
        _ip(*inside, "route", "add", f"{self.service_address}/32", "via", self._outer_address)

    def close(self) -> None:
        """Remove whatever of this network exists (the pair goes with the namespace)."""
        _ip("netns", "del", self.namespace, check=False)
        _ip("link", "del", self._outer, check=False)
        _ip("addr", "del", f"{self.service_address}/32", "dev", "lo", check=False)

    @contextmanager
    def cut(self) -> Iterator[None]:
        """The second host cut off for the block; ``cut_seconds`` adds up how long it was."""
        began = time.monotonic()
        _ip("link", "set", self._outer, "down")
        try:
            yield
        finally:
            _ip("link", "set", self._outer, "up")
            self.cut_seconds += time.monotonic() - began


def _ip(*args: str, check: bool = True) -> None:
    subprocess.run(["ip", *args], check=check, capture_output=True, timeout=30)
