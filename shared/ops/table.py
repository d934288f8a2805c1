"""What in a :class:`StatusReport` needs attention, and the report as a table or as JSON.

:func:`problems` is what makes ``status`` usable as a probe: an empty list means all is well.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from shared.ops.report import ProgramRow, StatusReport

__all__ = ["Thresholds", "as_json", "problems", "render"]


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When something counts as a problem."""

    heartbeat_stale_s: float = 5.0
    heartbeat_grace_s: float = 15.0
    max_pending_age_s: float = 120.0
    # A host silent for longer than this is taken as decommissioned, not down.
    host_forgotten_s: float = 3600.0


def problems(report: StatusReport, limits: Thresholds) -> list[str]:
    """Every reason to wake somebody up, one line each; empty when all is well."""
    found: list[str] = []
    if report.supervisor_error is not None:
        found.append(f"supervisord on {report.host} does not answer: {report.supervisor_error}")
    found += [issue for row in report.programs for issue in _row_problems(row, limits)]
    for host, beat in sorted(report.host_beats.items()):
        silent = report.at - beat
        if limits.heartbeat_stale_s < silent < limits.host_forgotten_s:
            found.append(f"host {host} has sent no heartbeat for {silent:.0f} s")
    if report.leader is None or not report.leader.is_live(report.at):
        found.append("no leader: nobody holds the lease")
    if report.inbox is not None:
        if report.inbox.dead_letters:
            found.append(f"{report.inbox.dead_letters} update(s) in the dead-letter stream")
        oldest = report.inbox.oldest_pending_age_s
        if oldest is not None and oldest > limits.max_pending_age_s:
            found.append(f"an inbox entry has waited {oldest:.0f} s for its acknowledgement")
    return found


def _row_problems(row: ProgramRow, limits: Thresholds) -> list[str]:
    where = f"{row.name}@{row.host}"
    if row.source == "supervisord" and row.state != "RUNNING":
        return [f"{where} is {row.state}"]
    if row.heartbeat_age_s is not None and row.heartbeat_age_s > limits.heartbeat_stale_s:
        return [f"{where}: heartbeat is {row.heartbeat_age_s:.1f} s old"]
    started_long_ago = row.uptime_s is not None and row.uptime_s > limits.heartbeat_grace_s
    if row.heartbeat_age_s is None and started_long_ago:
        return [f"{where} is RUNNING but sends no heartbeat"]
    return []


def render(report: StatusReport, found: list[str]) -> str:
    """The human view: a programs table, then leader, inbox, jobs, KIE, recent alerts and problems."""
    header = ("HOST", "PROGRAM", "STATE", "PID", "UPTIME", "RESTARTS/1h", "HEARTBEAT")
    rows = [_cells(row) for row in report.programs]
    lines = _columns([header, *rows])
    lines += ["", _leader_line(report), *_inbox_lines(report), _jobs_line(report), _kie_line(report)]
    if report.alerts:
        lines += ["", "recent alerts:", *(f"  {alert.summary()}" for alert in report.alerts[:5])]
    lines += ["", "attention:" if found else "all well", *(f"  ! {issue}" for issue in found)]
    return "\n".join(lines) + "\n"


def _cells(row: ProgramRow) -> tuple[str, ...]:
    uptime, heartbeat = _duration(row.uptime_s), _age(row.heartbeat_age_s)
    return (row.host, row.name, row.state, _na(row.pid), uptime, str(row.restarts_1h), heartbeat)


def _columns(table: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in table
    ]


def _leader_line(report: StatusReport) -> str:
    leader = report.leader
    if leader is None or not leader.is_live(report.at):
        return f"leader: none (last epoch {leader.epoch if leader else 'n/a'})"
    left = leader.expires_at - report.at
    return f"leader: {leader.holder} epoch {leader.epoch} ({leader.backend}), {left:.1f} s left"


def _inbox_lines(report: StatusReport) -> list[str]:
    inbox = report.inbox
    if inbox is None:
        return ["inbox: n/a"]
    lines = [
        f"inbox: {inbox.length} entries, lag {_na(inbox.lag)}, pending {inbox.pending}, "
        f"oldest pending {_age(inbox.oldest_pending_age_s)}, dead letters {inbox.dead_letters}"
    ]
    lines += [
        f"  {c.name}: pending {c.pending}, oldest {_age(c.oldest_pending_age_s)}, idle {c.idle_s:.1f}s"
        for c in inbox.consumers
    ]
    return lines


def _jobs_line(report: StatusReport) -> str:
    if report.jobs is None:
        return "jobs: n/a"
    counts = ", ".join(f"{state} {count}" for state, count in report.jobs.items()) or "none"
    return f"jobs: {counts}"


def _kie_line(report: StatusReport) -> str:
    if report.kie is None:
        return "KIE balance: n/a"
    return f"KIE balance: {report.kie.credits:g} credits (read {_age(report.kie.age_s)} ago)"


def as_json(report: StatusReport, found: list[str]) -> dict[str, Any]:
    """The machine view (``--json``): the same facts, plus ``ok`` and ``problems``."""
    leader = report.leader
    return {
        "ok": not found,
        "problems": found,
        "host": report.host,
        "at": report.at,
        "supervisor_error": report.supervisor_error,
        "programs": [asdict(row) for row in report.programs],
        "leader": None
        if leader is None
        else {**asdict(leader), "live": leader.is_live(report.at), "host": leader.host},
        "inbox": None
        if report.inbox is None
        else {**asdict(report.inbox), "oldest_pending_age_s": report.inbox.oldest_pending_age_s},
        "jobs": report.jobs,
        "kie_balance": None if report.kie is None else asdict(report.kie),
        "recent_alerts": [asdict(alert) for alert in report.alerts],
    }


def _na(value: object) -> str:
    return "n/a" if value is None else str(value)


def _age(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds:.1f}s"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"
