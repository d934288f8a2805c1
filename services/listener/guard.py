"""The crash guard's decisions: OTP restart intensity over supervisord's process state events.

supervisord restarts a program that dies after ``startsecs`` at once and forever; only failures inside
the start window are limited (``startretries``, then FATAL). The guard counts, per process, both kinds of
restart (an unexpected EXITED and a BACKOFF) in a sliding window, and when there are more than
``intensity`` of them within ``period`` seconds it decides to stop the process: Erlang/OTP's
intensity/period, circus's flapping. It is pure (no I/O, the clock is passed in), so the app carries
out its decisions and the tests drive it event by event.

A give-up (FATAL, a crash-guard stop, or an expected exit that may be a configuration error) is
reported once per incident: the next one for that process is reported only after somebody started it
again (STARTING from STOPPED or FATAL).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from services.listener.protocol import SupervisorEvent
from shared.ops.alerts import Alert, AlertKind

__all__ = ["CrashGuard", "Decision", "RestartWindow"]

_PREFIX = "PROCESS_STATE_"
# A start by hand (or by RPC): the crash history before it no longer counts.
_MANUAL_FROM = frozenset({"STOPPED", "FATAL"})


class RestartWindow:
    """Restart times of one process within the last ``period`` seconds."""

    def __init__(self, period: float) -> None:
        self._period = period
        self._times: deque[float] = deque()

    def add(self, now: float) -> int:
        """Count a restart at ``now``; return how many fall within the window ending at ``now``."""
        self._times.append(now)
        return self.count(now)

    def count(self, now: float) -> int:
        """Restarts within the window ending at ``now``."""
        while self._times and self._times[0] <= now - self._period:
            self._times.popleft()
        return len(self._times)


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do about one event: report ``alerts`` (in order), stop the process, or check its exit.

    ``confirm_config_error``: the process exited with an expected code, which is a give-up only if the
    code is the configuration-error one; the app checks the exit status before reporting.
    """

    alerts: tuple[Alert, ...] = ()
    stop: bool = False
    confirm_config_error: bool = False


class CrashGuard:
    """Per-process restart windows and give-up state for the processes of one host."""

    def __init__(self, host: str, intensity: int, period: float, own_group: str = "crashguard") -> None:
        self._host = host
        self._intensity = intensity
        self._period = period
        self._own_group = own_group
        self._windows: dict[str, RestartWindow] = {}
        self._given_up: set[str] = set()

    def observe(self, event: SupervisorEvent, now: float) -> Decision:
        """Decide what ``event`` (any supervisord event) calls for at time ``now``."""
        if not event.name.startswith(_PREFIX) or event.payload.get("groupname") == self._own_group:
            return Decision()
        state, process = event.name.removeprefix(_PREFIX), event.process
        if state == "STARTING" and event.payload.get("from_state") in _MANUAL_FROM:
            self._windows.pop(process, None)
            self._given_up.discard(process)
            return Decision()
        if state == "EXITED":
            if event.payload.get("expected") == "1":
                return self._give_up(self._alert(AlertKind.CONFIG_ERROR, event, now), confirm=True)
            return self._restart(AlertKind.EXITED, event, now)
        if state == "BACKOFF":
            return self._restart(AlertKind.FAILED_START, event, now)
        if state == "FATAL":
            return self._give_up(self._alert(AlertKind.FATAL, event, now))
        return Decision()

    def restarts(self, process: str, now: float) -> int:
        """Restarts of ``process`` counted in the window ending at ``now``."""
        window = self._windows.get(process)
        return 0 if window is None else window.count(now)

    def _restart(self, kind: AlertKind, event: SupervisorEvent, now: float) -> Decision:
        process = event.process
        count = self._windows.setdefault(process, RestartWindow(self._period)).add(now)
        alert = self._alert(kind, event, now, restarts=count)
        if count <= self._intensity or process in self._given_up:
            return Decision(alerts=(alert,))
        self._given_up.add(process)
        stopped = self._alert(AlertKind.STOPPED, event, now, restarts=count)
        return Decision(alerts=(alert, stopped), stop=True)

    def _give_up(self, alert: Alert, confirm: bool = False) -> Decision:
        if alert.program in self._given_up:
            return Decision()
        self._given_up.add(alert.program)
        return Decision(alerts=(alert,), confirm_config_error=confirm)

    def forget_give_up(self, process: str) -> None:
        """An expected exit turned out not to be a configuration error: it was no give-up."""
        self._given_up.discard(process)

    def _alert(self, kind: AlertKind, event: SupervisorEvent, now: float, restarts: int = 0) -> Alert:
        pid = event.payload.get("pid", "")
        return Alert(
            kind=kind,
            host=self._host,
            program=event.process,
            at=now,
            pid=int(pid) if pid.isdigit() else None,
            restarts=restarts,
            period_s=self._period if restarts else 0.0,
        )
