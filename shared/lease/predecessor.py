"""Whether the holder of the lease is a process of this host that is provably gone.

A holder id is ``host/program/pid`` (``ProcessIdentity.holder_id``). When it names this very host, its
pid can be looked at here: no such process, or a process that is not the program (the pid was reused
by something else; a zombie has an empty command line), means the holder is dead and its term can be
taken over at once. Anything uncertain (another host, a pid that cannot be read, a live process that
runs the program) is *not* proof: the caller then waits for the term to expire as usual. The caller
also compares :func:`process_origin` of both holders, so a pid is never judged across machines or pid
namespaces that happen to share a host name.
"""

from __future__ import annotations

import os
from pathlib import Path

from shared.lease.backend import holder_host

__all__ = ["PredecessorProbe", "process_origin"]


def process_origin(proc_root: Path = Path("/proc")) -> str | None:
    """This machine's boot id and this process's pid namespace, or None where they cannot be read.

    Two holders with one host name are judged by pid only when their origins are equal: a pid means
    something only on the same kernel, in the same pid namespace (containers sharing a host name).
    """
    try:
        boot_id = (proc_root / "sys/kernel/random/boot_id").read_text().strip()
        namespace = os.stat(proc_root / "self/ns/pid").st_ino
    except OSError:
        return None
    return f"{boot_id}/{namespace}"


class PredecessorProbe:
    """Tells whether a holder of this host is gone, by its pid and ``/proc/PID/cmdline``."""

    def __init__(self, own_holder: str, program_marker: str, proc_root: Path = Path("/proc")) -> None:
        self._host = holder_host(own_holder)
        self._marker = program_marker.encode()
        self._proc = proc_root

    def is_gone(self, holder: str) -> bool:
        """True only when ``holder`` names this host and its pid no longer runs the program."""
        pid = _pid_of(holder)
        if pid is None or holder_host(holder) != self._host or pid == os.getpid():
            return False
        if not _alive(pid):
            return True
        if not (self._proc / "self").is_dir():
            return False  # no /proc on this system: a live pid proves nothing
        try:
            cmdline = (self._proc / str(pid) / "cmdline").read_bytes()
        except FileNotFoundError:
            return True  # exited between the two looks
        except OSError:
            return False  # not allowed to read it: no proof
        return self._marker not in cmdline


def _pid_of(holder: str) -> int | None:
    parts = holder.rsplit("/", 2)
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    return int(parts[2])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by someone else
    return True
