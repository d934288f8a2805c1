"""``make chaos``: the whole system under load through kills, outages, a paused leader, duplicates and
hostile input; nothing accepted is lost or applied twice, credits are exact, hostile input changes nothing.

The figures (defined in ``tests.chaos.runner`` and ``tests.chaos.invariants``) go to
``bench/results/chaos.json`` before anything is asserted, so a failed run still leaves its numbers.
"""

from __future__ import annotations

import pytest

from tests.chaos.runner import ChaosWorld, run_chaos

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]


class TestChaos:
    @pytest.mark.timeout(900)
    def test_nothing_lost_nothing_twice_credits_exact_hostile_input_harmless(
        self, chaos_world: ChaosWorld
    ) -> None:
        """Every accepted update answered once in chat order; jobs settled once; hostile input inert."""
        report = run_chaos(chaos_world)
        assert report["updates_sent"] == report["updates_accepted"] == report["updates_handled"], report
        assert report["duplicates_applied"] == 0, report
        assert report["ledger_difference"] == 0, report
        assert report["jobs_unfinished"] == report["jobs_unnotified"] == report["jobs_badly_settled"] == 0
        assert report["hostile_state_changes"] == 0, report["hostile_state_change_details"]
        assert report["hostile_unclear_answers"] == [], report["hostile_unclear_answers"]
        assert report["order_violations"] == [], report["order_violations"]
        assert report["replies_repeated_unexplained"] == [], report["replies_repeated_unexplained"]
        assert report["forbidden_log_text"] == {}, report["forbidden_log_text"]
        assert report["updates_lost"] == 0, report["unhandled_update_ids"]
        assert report["redis_sigkills"] >= 3 and report["postgres_sigkills"] >= 1, report["faults"]
        assert report["botapi_faults"] >= 100, report["botapi_faults_by_kind"]
        assert report["updates_per_s"] >= 100, report["updates_per_s"]
        assert report["jobs_via_bot"] >= 100, report["jobs_via_bot"]
        assert report["partition_seconds"] >= 10, report["partition_seconds"]
        assert report["partition_acted_after_term"] == [], report["partition_acted_after_term"]
        assert report["partition_late_writes_refused"] == len(report["partition_epochs"]), report
