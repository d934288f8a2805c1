"""The books at the end, from the emulators' own records: what KIE charged, captured, delivered."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import psycopg
import pytest

from tests.e2e.money_adversarial.world import MARKUP, MUSIC, World, media_of

pytestmark = pytest.mark.e2e


_USERS = (
    "SELECT id, balance, (SELECT coalesce(sum(amount), 0) FROM ledger l WHERE l.user_id = u.id) FROM users u"
)
_ALL_JOBS = """
SELECT user_id, chat_id, model_id, kie_task_id, state, settlement, error_code, price_credits,
       result_message_id, kie_credits_consumed,
       (SELECT count(*) FROM ledger l WHERE l.job_id = j.id AND l.kind = 'capture'),
       (SELECT count(*) FROM ledger l WHERE l.job_id = j.id AND l.kind = 'refund')
FROM jobs j
"""
TELEGRAM_REFUSED = {"undeliverable", "unreachable", "banned"}
"""Refunds after KIE charged: Telegram refused the result, or the user was banned (docs/money.md §2)."""


class TestTheBooks:
    def test_every_user_paid_for_what_kie_charged_and_got_what_was_captured(self, world: World) -> None:
        """Over the whole module, from KIE's and Telegram's own records: KIE's charge × markup ≤ the
        credits captured, per user (Telegram-refused results aside, which are the documented cost);
        every capture has its result in the chat; every balance is the sum of its ledger."""
        with psycopg.connect(world.db) as conn:
            users = conn.execute(_USERS).fetchall()
            jobs = conn.execute(_ALL_JOBS).fetchall()
        assert users and all(bal == total and bal >= 0 for _, bal, total in users), users
        tasks = {t["taskId"]: Decimal(str(t["creditsConsumed"])) for t in world.kie("tasks")}
        ours = {row[3] for row in jobs if row[3]}
        assert set(tasks) <= ours, f"KIE tasks no job knows of: {set(tasks) - ours}"
        consumed: dict[int, Decimal] = {}
        captured: dict[int, int] = {}
        uncovered = Decimal(0)
        for (
            user,
            chat,
            model,
            task,
            state,
            settlement,
            reason,
            price,
            message_id,
            stored,
            captures,
            refunds,
        ) in jobs:
            assert settlement is not None and captures + refunds == 1, (user, task, state)
            cost = tasks.get(task, Decimal(0))
            if model != MUSIC:  # Suno's record-info carries no creditsConsumed: nothing to store
                assert (stored or 0) == cost, f"job of task {task}: stored KIE cost {stored}, KIE says {cost}"
            if captures:
                captured[user] = captured.get(user, 0) + price
                consumed[user] = consumed.get(user, Decimal(0)) + cost
                delivered = {m["message_id"]: m for m in world.tg.bot_messages(chat)}
                assert message_id in delivered and media_of(delivered[message_id]), (
                    f"captured, not delivered: {task}"
                )
            elif cost:
                assert reason in TELEGRAM_REFUSED, f"KIE charged {cost} for task {task}, refunded as {reason}"
                uncovered += cost
        for user, cost in consumed.items():
            assert cost * MARKUP <= captured[user], f"user {user}: KIE {cost} × {MARKUP} > {captured[user]}"
        refused = [row for row in jobs if row[6] in TELEGRAM_REFUSED]
        print(f"kie_spend_uncovered={uncovered} on {len(refused)} jobs, captured={sum(captured.values())}")
        assert uncovered == sum(tasks[row[3]] for row in refused)
        _money_report_agrees(world, len(refused))


def _money_report_agrees(world: World, refused: int) -> None:
    """`make money-report`'s own reading of the books: each Telegram-refused job flagged, nothing else,
    and the Suno job (whose record states no cost) counted as such."""
    env = {**world.system.env, "DATABASE_URL": world.db}
    report = subprocess.run(
        [sys.executable, "-m", "shared.ops.money_report"], env=env, capture_output=True, text=True, timeout=60
    )
    assert report.returncode == (1 if refused else 0), report.stdout + report.stderr
    lines = report.stdout.splitlines()
    assert sum(line.startswith("FLAG charged nothing:") for line in lines) == refused, report.stdout
    assert not [line for line in lines if line.startswith("FLAG") and "charged nothing:" not in line]
    music = [line.split() for line in lines if line.startswith(f"{MUSIC} ")]
    assert all(line[-1] == line[1] for line in music), report.stdout  # every Suno job: cost unknown
