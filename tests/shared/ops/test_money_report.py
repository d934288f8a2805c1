"""The money report on a database of its own: margins per model, and every uncovered KIE spend flagged."""

from __future__ import annotations

import uuid
from decimal import Decimal

import psycopg
import pytest

from shared.migrations import apply_migrations
from shared.ops.money_report import collect, main, render

_JOB = """
INSERT INTO jobs (id, user_id, chat_id, model_id, params, price_credits, state, settlement,
                  typical_seconds, time_limit_seconds, deadline, kie_credits_consumed)
VALUES (%s, 1, 1, %s, '{}', %s, %s, %s, 10, 60, now(), %s)
"""
_UNCOSTED_JOB = """
INSERT INTO jobs (id, user_id, chat_id, model_id, params, price_credits, state, settlement, error_code,
                  typical_seconds, time_limit_seconds, deadline, kie_task_id)
VALUES (%s, 1, 1, 'V5', '{}', 18, %s, %s, %s, 10, 60, now(), %s)
"""


def _seed(url: str) -> dict[str, uuid.UUID]:
    apply_migrations(url)
    jobs = {
        "paid": ("z-image", 15, "succeeded", "captured", 10),
        "refunded": ("z-image", 12, "failed", "refunded", 8),  # KIE charged, user charged nothing
        "underpriced": ("sora-2", 5, "succeeded", "captured", 8),  # KIE cost above the price
        "queued_cancel": ("sora-2", 20, "cancelled", "refunded", None),  # never reached KIE
    }
    ids = {name: uuid.uuid4() for name in jobs}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO users (id) VALUES (1)")
        for name, (model, price, state, settlement, consumed) in jobs.items():
            conn.execute(_JOB, (ids[name], model, price, state, settlement, consumed))
    return ids


class TestMoneyReport:
    def test_margins_and_flags(self, private_database_url: str) -> None:
        """Per model and total: jobs, captured, KIE used, margin; charged-nothing and underpriced flagged."""
        ids = _seed(private_database_url)
        report = collect(private_database_url)
        by_model = {line.model_id: line for line in report.lines}
        assert (by_model["z-image"].jobs, by_model["z-image"].captured) == (2, 15)
        assert by_model["z-image"].kie_consumed == Decimal(18) and by_model["z-image"].margin == Decimal(-3)
        total = report.total
        assert (total.jobs, total.captured, total.kie_consumed) == (4, 20, Decimal(26))
        assert {(f.job_id, f.why) for f in report.flagged} == {
            (str(ids["refunded"]), "charged nothing"),
            (str(ids["underpriced"]), "KIE cost above the price"),
        }
        text = render(report)
        assert "TOTAL" in text and "FLAG charged nothing" in text

    def test_a_family_whose_records_carry_no_cost_is_counted_and_its_refund_after_success_flagged(
        self, private_database_url: str
    ) -> None:
        """Suno's records state no creditsConsumed: its jobs count as "no cost", not as free, and one
        refunded after KIE produced the tracks (Telegram refused them) is flagged; a KIE failure is not."""
        _seed(private_database_url)
        uncosted = {
            "suno_paid": ("succeeded", "captured", None),
            "suno_undeliverable": ("failed", "refunded", "undeliverable"),
            "suno_failed_at_kie": ("failed", "refunded", "generation_failed"),
        }
        ids = {name: uuid.uuid4() for name in uncosted}
        with psycopg.connect(private_database_url, autocommit=True) as conn:
            for name, (state, settlement, reason) in uncosted.items():
                conn.execute(_UNCOSTED_JOB, (ids[name], state, settlement, reason, f"task-{name}"))
        report = collect(private_database_url)
        suno = next(line for line in report.lines if line.model_id == "V5")
        assert (suno.jobs, suno.captured, suno.kie_consumed, suno.cost_unknown) == (3, 18, Decimal(0), 3)
        assert report.total.cost_unknown == 3
        flagged = {f.job_id: f.why for f in report.flagged}
        assert flagged[str(ids["suno_undeliverable"])] == "charged nothing, KIE cost unknown"
        assert str(ids["suno_failed_at_kie"]) not in flagged and str(ids["suno_paid"]) not in flagged
        assert "KIE used unknown, user paid 0" in render(report)

    def test_command_exits_1_when_something_is_flagged(
        self, private_database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`make money-report` prints the table and exits 1 while KIE spend is uncovered."""
        _seed(private_database_url)
        monkeypatch.setenv("DATABASE_URL", private_database_url)
        assert main([]) == 1
        assert "margin" in capsys.readouterr().out
