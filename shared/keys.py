"""Redis key and channel names, all under one configurable prefix.

A prefix per deployment (and per test run) keeps two systems on one Redis apart. Stream keys keep the
prefix in a hash tag so that, under Redis Cluster, a stream and its companion keys share a slot.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Keys"]


@dataclass(frozen=True, slots=True)
class Keys:
    """Every Redis name TRT uses, derived from one prefix such as ``trt:``."""

    prefix: str

    def heartbeat(self, host: str, process: str) -> str:
        """Hash of one process's liveness record; expires when the process stops beating."""
        return f"{self.prefix}hb:{host}:{process}"

    def heartbeat_pattern(self, host: str = "*") -> str:
        return f"{self.prefix}hb:{host}:*"

    @property
    def hosts(self) -> str:
        """Sorted set of host ids by the last time any of their processes beat."""
        return f"{self.prefix}hosts"

    @property
    def lease(self) -> str:
        """The leader lease: holder id, expires with the lease TTL."""
        return f"{self.prefix}leader:lease"

    @property
    def lease_epoch(self) -> str:
        """Counter incremented on every acquisition: the fencing token."""
        return f"{self.prefix}leader:epoch"

    @property
    def leader_state(self) -> str:
        """JSON of the current leader, read by any process at start."""
        return f"{self.prefix}leader:state"

    @property
    def leader_channel(self) -> str:
        """Pub/sub channel announcing every change of leader."""
        return f"{self.prefix}leader"
