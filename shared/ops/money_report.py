"""``python -m shared.ops.money_report`` (``make money-report``): what users paid against what KIE cost.

Per model and in total: jobs, credits captured from users, KIE credits consumed (``creditsConsumed``
of each job's final record), and the margin (captured minus consumed: a user credit is a KIE credit
times PRICE_MARKUP, so both are in KIE credits' unit). Then the jobs that break the rule "the
operator never pays KIE for what no user paid": KIE consumed credits but the user was charged nothing
(refunded or cancelled), and KIE's cost exceeded what the user paid. Exit status 1 when any job is
flagged, 2 when the report could not be made (bad settings, PostgreSQL unreachable), else 0.

Only some KIE families report ``creditsConsumed`` in their records (Market models and Veo do; Suno,
4o Image, Flux Kontext, Midjourney and Runway do not). Their jobs' cost is unknown, not zero: each
model's line counts them ("no cost"), and one refunded after KIE produced its result (Telegram would
not take it, the chat was gone, the user was banned, the file could not be fetched) is flagged too,
since KIE charged for it and the user paid nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import psycopg

from shared.errors import ConfigError
from shared.settings import load_settings

__all__ = ["Flagged", "ModelLine", "MoneyReport", "collect", "main", "render"]

_PER_MODEL = """
SELECT model_id, count(*),
       coalesce(sum(price_credits) FILTER (WHERE settlement = 'captured'), 0),
       coalesce(sum(kie_credits_consumed), 0),
       count(*) FILTER (WHERE kie_task_id IS NOT NULL AND settlement IS NOT NULL
                        AND kie_credits_consumed IS NULL)
FROM jobs WHERE created_at >= now() - make_interval(days => %s)
GROUP BY model_id ORDER BY model_id
"""
_FLAGGED = """
SELECT id, model_id, user_id, coalesce(settlement, state), kie_credits_consumed,
       CASE WHEN settlement = 'captured' THEN price_credits ELSE 0 END AS paid
FROM jobs
WHERE created_at >= now() - make_interval(days => %s)
  AND (kie_credits_consumed > 0
       AND (settlement IS DISTINCT FROM 'captured' OR kie_credits_consumed > price_credits)
    OR kie_credits_consumed IS NULL AND kie_task_id IS NOT NULL AND settlement = 'refunded'
       AND error_code IN ('undeliverable', 'unreachable', 'banned', 'result_unavailable'))
ORDER BY created_at LIMIT %s
"""


@dataclass(frozen=True, slots=True)
class ModelLine:
    """One model's totals (or the grand total, model ``*``)."""

    model_id: str
    jobs: int
    captured: int
    kie_consumed: Decimal
    cost_unknown: int = 0
    """Settled jobs whose KIE record carried no creditsConsumed (left out of `kie_consumed`)."""

    @property
    def margin(self) -> Decimal:
        """Credits captured minus KIE credits consumed."""
        return self.captured - self.kie_consumed


@dataclass(frozen=True, slots=True)
class Flagged:
    """A job whose KIE cost was not covered by what its user paid."""

    job_id: str
    model_id: str
    user_id: int
    outcome: str
    kie_consumed: Decimal | None  # None: KIE finished the task, but its record states no cost
    paid: int

    @property
    def why(self) -> str:
        """Which rule it breaks."""
        if self.kie_consumed is None:
            return "charged nothing, KIE cost unknown"
        return "charged nothing" if self.paid == 0 else "KIE cost above the price"


@dataclass(frozen=True, slots=True)
class MoneyReport:
    """The per-model lines, their total, and the flagged jobs."""

    lines: list[ModelLine]
    flagged: list[Flagged]

    @property
    def total(self) -> ModelLine:
        """All models together."""
        return ModelLine(
            "*",
            sum(line.jobs for line in self.lines),
            sum(line.captured for line in self.lines),
            sum((line.kie_consumed for line in self.lines), Decimal(0)),
            sum(line.cost_unknown for line in self.lines),
        )


def collect(database_url: str, days: int = 30, limit: int = 200) -> MoneyReport:
    """Read the last ``days`` days of jobs (at most ``limit`` flagged ones listed)."""
    with psycopg.connect(database_url, connect_timeout=10) as conn:
        lines = [
            ModelLine(str(model), int(jobs), int(captured), Decimal(consumed), int(unknown))
            for model, jobs, captured, consumed, unknown in conn.execute(_PER_MODEL, (days,)).fetchall()
        ]
        flagged = [
            Flagged(str(job_id), str(model), int(user), str(outcome), _decimal(consumed), int(paid))
            for job_id, model, user, outcome, consumed, paid in conn.execute(_FLAGGED, (days, limit))
        ]
    return MoneyReport(lines, flagged)


def render(report: MoneyReport) -> str:
    """The margin table, then the flagged jobs (or a line saying there are none)."""
    head = f"{'model':<44} {'jobs':>6} {'captured':>10} {'KIE used':>10} {'margin':>10} {'no cost':>8}"
    rows = [head, "-" * len(head)]
    for line in [*report.lines, report.total]:
        name = "TOTAL" if line.model_id == "*" else line.model_id
        rows.append(
            f"{name[:44]:<44} {line.jobs:>6} {line.captured:>10} "
            f"{_num(line.kie_consumed):>10} {_num(line.margin):>10} {line.cost_unknown:>8}"
        )
    rows.append("")
    if not report.flagged:
        rows.append("flagged: none (every KIE credit consumed was covered by what its user paid)")
    for job in report.flagged:
        rows.append(
            f"FLAG {job.why}: job {job.job_id} {job.model_id} user {job.user_id} {job.outcome}: "
            f"KIE used {'unknown' if job.kie_consumed is None else _num(job.kie_consumed)}, "
            f"user paid {job.paid}"
        )
    return "\n".join(rows) + "\n"


def _decimal(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _num(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:.2f}"


def main(argv: Sequence[str] | None = None) -> int:
    """Print the report; exit 1 when a job is flagged, 2 when it could not be made."""
    parser = argparse.ArgumentParser(
        prog="python -m shared.ops.money_report", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--days", type=int, default=30, help="how many days of jobs to read (default 30)")
    args = parser.parse_args(argv)
    try:
        report = collect(load_settings().DATABASE_URL, args.days)
    except ConfigError as exc:
        sys.stderr.write(f"money-report: configuration error: {exc}\n")
        return 2
    except psycopg.Error as exc:
        sys.stderr.write(f"money-report: PostgreSQL unavailable: {type(exc).__name__}\n")
        return 2
    sys.stdout.write(render(report))
    return 1 if report.flagged else 0


if __name__ == "__main__":
    sys.exit(main())
