"""The chaos run's reply figures on made-up records: each reply attributed to its update, repeats
explained only by a fault the record or the timeline shows, refused replies counted but not handled."""

from __future__ import annotations

from typing import Any

from tests.chaos.invariants import update_figures
from tests.chaos.load import Sent
from tests.chaos.timeline import Fault, Timeline

CHAT = 10
SENT = [
    Sent(1, CHAT, "text", "#0#", 0.0),
    Sent(2, CHAT, "text", "#1#", 0.0),
    Sent(3, CHAT, "press", "q1", 0.0),
]


def reply(text: str, at: float, status: int = 200, fault: str = "") -> dict[str, Any]:
    params = {"chat_id": CHAT, "text": text}
    return {"method": "sendMessage", "params": params, "status": status, "at": at, "fault": fault}


def answer(query: str, at: float, status: int = 200) -> dict[str, Any]:
    params = {"callback_query_id": query}
    return {"method": "answerCallbackQuery", "params": params, "status": status, "at": at, "fault": ""}


class TestUpdateFigures:
    def test_a_late_answer_explains_its_repeat_wherever_it_lands(self) -> None:
        """A reply answered past the bot's timeout, recorded after the next update's reply: no violation."""
        calls = [reply("#0# a", 1.0), reply("#1# b", 1.5), reply("#1# b", 2.0, fault="slow"), answer("q1", 3)]
        figures = update_figures(SENT, calls, Timeline())
        assert (figures.handled, figures.repeated, figures.unhandled) == (3, 1, [])
        assert figures.repeated_unexplained == figures.order_violations == []
        assert figures.replies == {"ok": 4}

    def test_a_repeat_without_a_fault_is_unexplained(self) -> None:
        calls = [reply("#0# a", 1.0), reply("#1# b", 1.5), reply("#1# b", 2.0), answer("q1", 3)]
        assert update_figures(SENT, calls, Timeline()).repeated_unexplained == [
            f"chat {CHAT} #1# at 2.000 (first 1.500)"
        ]

    def test_a_repeat_right_after_a_kill_is_explained(self) -> None:
        timeline = Timeline([Fault("kill bot:bot_00", 1.4, 1.6)])
        calls = [reply("#0# a", 1.0), reply("#1# b", 1.5), reply("#1# b", 2.0), answer("q1", 3)]
        assert update_figures(SENT, calls, timeline).repeated_unexplained == []

    def test_a_repeat_within_the_claim_idle_time_after_a_storage_crash_is_explained(self) -> None:
        """A run that waited on Redis resumes when another worker claims its entry (it looked idle)."""

        def repeat_at(first: float) -> list[dict[str, Any]]:
            return [reply("#0# a", 1.0), reply("#1# b", first), reply("#1# b", first + 0.1), answer("q1", 9)]

        crash = Timeline([Fault("sigkill redis", 0.5, 1.5)])
        assert update_figures(SENT, repeat_at(4.0), crash).repeated_unexplained == []
        assert update_figures(SENT, repeat_at(7.0), crash).repeated_unexplained != []
        worker_kill = Timeline([Fault("kill bot:bot_00", 0.5, 1.5)])
        assert update_figures(SENT, repeat_at(4.0), worker_kill).repeated_unexplained != []

    def test_a_repeat_behind_the_next_reply_is_explained_by_a_storage_crash_only(self) -> None:
        """The claimer answered #1# and went on to #2#; the resumed run answers #1# again."""
        sent = [*SENT[:2], Sent(4, CHAT, "text", "#2#", 0.0), SENT[2]]
        calls = [reply("#0# a", 1.0), reply("#1# b", 2.0), reply("#2# c", 2.1), reply("#1# b", 2.2)]
        calls.append(answer("q1", 3))
        crash = Timeline([Fault("sigkill redis", 0.5, 1.5)])
        assert update_figures(sent, calls, crash).repeated_unexplained == []
        worker_kill = Timeline([Fault("kill bot:bot_00", 1.4, 1.6)])
        assert update_figures(sent, calls, worker_kill).repeated_unexplained != []

    def test_a_repeat_of_an_update_whose_handler_timed_out_is_explained(self) -> None:
        """No fault injected, but the bot's log shows the update's Bot API call timing out."""
        timeline = Timeline(timed_out={2})
        calls = [reply("#0# a", 1.0), reply("#1# b", 1.5), reply("#1# b", 2.0), answer("q1", 3)]
        assert update_figures(SENT, calls, timeline).repeated_unexplained == []

    def test_refused_replies_are_attributed_but_do_not_answer(self) -> None:
        """A 500 or a dropped connection reached nobody: its update stays unanswered until a retry."""
        calls = [reply("#0# a", 1), reply("#1# b", 1.5, 500, "500"), answer("q1", 2, 0), reply("#7# ?", 3)]
        figures = update_figures(SENT, calls, Timeline())
        assert figures.unhandled == [2, 3]
        assert figures.replies == {"ok": 1, "refused": 2, "unattributed": 1}
