"""When each fault happened: the windows (and the timed-out updates) that explain a repeated Bot API
call, and the run's log."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

__all__ = ["Fault", "Timeline"]

# A Bot API call whose result was not yet journaled when its process died (or Redis/PostgreSQL went
# away) is made again when the update is handled again; the call may have been sent up to this long
# before the fault began (an HTTP exchange plus the journal write).
CUT_MARGIN_SECONDS = 1.5
# After a storage crash, a run that was waiting on Redis resumes while its entry looks idle (its owner
# could not touch it during the outage), so another worker may claim and run it too: the repeat comes
# up to the suite's claim-idle time (``INBOX_CLAIM_IDLE_SECONDS``) after the restart, and may come
# after the claimer has gone on to the chat's next update (a known gap, see README's chaos section).
STORAGE_FAULTS = ("restart ", "sigkill ")
CLAIM_IDLE_SECONDS = 3.0
# The faults that can cut a Bot API exchange short: a worker or jobs kill, a storage outage, a partition.
CUTTING_FAULTS = ("kill bot:", "kill jobs", "restart ", "sigkill ", "partition")


@dataclass(frozen=True)
class Fault:
    """One fault: what (e.g. ``kill bot:bot_00``, ``restart redis``) from ``start`` to ``end`` (wall time)."""

    what: str
    start: float
    end: float

    @property
    def cuts_calls(self) -> bool:
        """Whether the fault can cut a Bot API exchange short."""
        return self.what.startswith(CUTTING_FAULTS)

    @property
    def is_storage_crash(self) -> bool:
        return self.what.startswith(STORAGE_FAULTS)

    @property
    def after_margin(self) -> float:
        """How long after its end a fault can still make a call happen twice."""
        return CUT_MARGIN_SECONDS + (CLAIM_IDLE_SECONDS if self.is_storage_crash else 0.0)


@dataclass
class Timeline:
    """Thread-safe list of faults in the order they began."""

    faults: list[Fault] = field(default_factory=list)
    timed_out: set[int] = field(default_factory=set)  # updates whose handler saw a Bot API call time out
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def fault(self, what: str) -> Iterator[None]:
        """Record the block as one fault window."""
        start = time.time()
        try:
            yield
        finally:
            self.add(Fault(what, start, time.time()))

    def add(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def explains_repeat(self, first_sent_at: float, adjacent: bool = True) -> bool:
        """Whether a call first made at ``first_sent_at`` may have been cut short by some fault.

        A repeat that is not adjacent (the chat got another reply in between) is explained only by a
        storage crash: its two runs went on at once, the resumed one behind its claimer.
        """
        with self._lock:
            return any(
                f.cuts_calls
                and (adjacent or f.is_storage_crash)
                and f.start - CUT_MARGIN_SECONDS <= first_sent_at <= f.end + f.after_margin
                for f in self.faults
            )

    def explains_update(self, update_id: int) -> bool:
        """Whether handling this update met a Bot API timeout: a call that may have taken effect unseen.

        The bot handles such an update again, and the call with it (the journal holds no result for it).
        """
        return update_id in self.timed_out

    def summary(self) -> dict[str, int]:
        """How many faults of each kind (the first word pair, e.g. ``kill webhook``)."""
        counts: dict[str, int] = {}
        with self._lock:
            for fault in self.faults:
                counts[fault.what] = counts.get(fault.what, 0) + 1
        return counts
