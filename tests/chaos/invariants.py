"""The invariants the chaos run must keep, measured from the emulators' records and PostgreSQL.

Updates (architecture.md: none lost, effects once, per-chat order):

- *handled*: a text update whose help reply (quoting its ``#n#`` marker) is a successful sendMessage
  in the Bot API emulator's record, or a button press whose callback query was answered successfully;
  every reply call in the record, refused ones included, is attributed to its update (``replies``);
- *repeated*: a reply made again (same marker, right after itself); *explained* when its first copy was
  made around a fault that can cut a Bot API exchange short (``Timeline.explains_repeat``), or when a
  copy was answered later than the bot's HTTP timeout (the record names the ``slow`` fault) or the
  bot's log shows the update's handler failing on a timeout (``Timeline.explains_update``: on a
  loaded machine an answer can be late with no fault injected): either way the bot saw a timeout for
  a call that took effect; the documented at-least-once edge of outgoing calls;
- *order violation*: a reply whose marker comes before one already answered in that chat;
- *stall*: from the moment the load sent an update to its first reply; the maximum over all updates.

Money (credits are exact):

- *ledger difference*: Σ over users |balance − Σ ledger amounts| plus, for the job users, Σ |balance −
  (credits granted to them (the run's funding, the bot's starter credits) − prices of their succeeded
  jobs)|;
- *duplicates applied*: ledger rows beyond one hold and one settlement per job;
- *badly settled*: a finished job without exactly one hold and one settlement, a capture iff it succeeded;
- *unfinished*: a job of the run not in a terminal state; *unnotified*: finished but its user not told.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import psycopg

from tests.chaos.load import Sent
from tests.chaos.timeline import Timeline

__all__ = ["MoneyFigures", "UpdateFigures", "money_figures", "update_figures"]

_MARKER = re.compile(r"#(\d+)#")


@dataclass
class UpdateFigures:
    """What became of the load's updates, and every reply the emulator recorded, refused ones included."""

    handled: int = 0
    repeated: int = 0
    repeated_unexplained: list[str] = field(default_factory=list)
    order_violations: list[str] = field(default_factory=list)
    max_stall_s: float = 0.0
    unhandled: list[int] = field(default_factory=list)
    replies: dict[str, int] = field(default_factory=dict)
    last_reply_at: float = 0.0  # when the last update got its first reply


@dataclass(frozen=True)
class _Reply:
    """One recorded reply (sendMessage or answerCallbackQuery) and the update it answers."""

    key: str  # the text's ``#n#`` marker, or the press's callback query id
    at: float
    late: bool  # answered after the bot's HTTP timeout (a slow fault): made, though the bot never knew


def update_figures(sent: list[Sent], calls: list[dict[str, Any]], timeline: Timeline) -> UpdateFigures:
    """Match every sent update to its replies in ``calls`` (the emulator's record, in call order).

    Every reply call is attributed to its update (a text by the marker its reply quotes, a press by its
    callback query id); ``replies`` counts them by outcome: ``ok``, ``refused`` (an error answer or a
    dropped connection: nothing reached the user) and ``unattributed`` (no update of the load).
    """
    figures = UpdateFigures()
    texts: dict[int, list[_Reply]] = defaultdict(list)
    answers: dict[str, list[_Reply]] = defaultdict(list)
    markers = {(u.chat, u.marker) for u in sent if u.kind == "text"}
    queries = {u.marker for u in sent if u.kind == "press"}
    outcomes: Counter[str] = Counter()
    for call in calls:
        found = _reply_of(call)
        if found is None:
            continue
        chat, reply = found
        known = (chat, reply.key) in markers if chat is not None else reply.key in queries
        outcomes["unattributed" if not known else "ok" if call["status"] == 200 else "refused"] += 1
        if known and call["status"] == 200:
            (texts[chat] if chat is not None else answers[reply.key]).append(reply)
    figures.replies = dict(outcomes)
    by_chat: dict[int, list[Sent]] = defaultdict(list)
    for update in sent:
        by_chat[update.chat].append(update)
    for chat, updates in by_chat.items():
        _match_chat(chat, [u for u in updates if u.kind == "text"], texts[chat], timeline, figures)
        for press in (u for u in updates if u.kind == "press"):
            _match_press(press, answers.get(press.marker, []), timeline, figures)
    return figures


def _reply_of(call: dict[str, Any]) -> tuple[int | None, _Reply] | None:
    """The chat (None for a callback answer) and the reply, for a call that answers an update."""
    params, late = call["params"], "slow" in str(call.get("fault", ""))
    if call["method"] == "sendMessage":
        found = _MARKER.search(str(params.get("text", "")))
        if found:
            return int(params["chat_id"]), _Reply(found.group(0), float(call["at"]), late)
    elif call["method"] == "answerCallbackQuery":
        return None, _Reply(str(params["callback_query_id"]), float(call["at"]), late)
    return None


def _match_chat(
    chat: int, texts: list[Sent], replies: list[_Reply], timeline: Timeline, figures: UpdateFigures
) -> None:
    expected = [u.marker for u in texts]
    first_at: dict[str, float] = {}
    timed_out = {u.marker for u in texts if timeline.explains_update(u.update_id)}
    late = {reply.key for reply in replies if reply.late} | timed_out
    position = 0
    for index, reply in enumerate(replies):
        marker = reply.key
        if marker in first_at:
            figures.repeated += 1
            adjacent = index > 0 and replies[index - 1].key == marker
            if not (marker in late or timeline.explains_repeat(first_at[marker], adjacent)):
                first = first_at[marker]
                figures.repeated_unexplained.append(
                    f"chat {chat} {marker} at {reply.at:.3f} (first {first:.3f})"
                )
            continue
        first_at[marker] = reply.at
        if reply.late:
            continue  # recorded when its slow answer ended, which says nothing of the chat's order
        if marker not in expected[position:]:
            figures.order_violations.append(f"chat {chat}: {marker} answered after a later update")
            continue
        position = expected.index(marker, position) + 1
    for update in texts:
        if update.marker in first_at:
            figures.handled += 1
            figures.max_stall_s = max(figures.max_stall_s, first_at[update.marker] - update.at)
            figures.last_reply_at = max(figures.last_reply_at, first_at[update.marker])
        else:
            figures.unhandled.append(update.update_id)


def _match_press(press: Sent, answered: list[_Reply], timeline: Timeline, figures: UpdateFigures) -> None:
    if not answered:
        figures.unhandled.append(press.update_id)
        return
    figures.handled += 1
    first = answered[0]
    figures.max_stall_s = max(figures.max_stall_s, first.at - press.at)
    figures.last_reply_at = max(figures.last_reply_at, first.at)
    for again in answered[1:]:
        figures.repeated += 1
        late = any(a.late for a in answered) or timeline.explains_update(press.update_id)
        if not (late or timeline.explains_repeat(first.at)):
            figures.repeated_unexplained.append(
                f"callback {press.marker} at {again.at:.3f} (first {first.at:.3f})"
            )


@dataclass
class MoneyFigures:
    """Credits and jobs after the run."""

    ledger_difference: int
    duplicates_applied: int
    jobs_badly_settled: int
    jobs_unfinished: int
    jobs_unnotified: int
    jobs_by_state: dict[str, int]
    kie_spend_uncovered: float = 0.0  # KIE credits consumed on jobs that captured nothing (expected 0)


_LEDGER_VS_BALANCE = """
SELECT coalesce(sum(abs(u.balance - coalesce(l.total, 0))), 0)
FROM users u LEFT JOIN (SELECT user_id, sum(amount) AS total FROM ledger GROUP BY user_id) l
  ON l.user_id = u.id
"""
_SPENT_VS_BALANCE = """
SELECT coalesce(sum(abs(u.balance - (coalesce(g.granted, 0) - coalesce(s.spent, 0)))), 0)
FROM users u
LEFT JOIN (SELECT user_id, sum(amount) AS granted FROM ledger WHERE job_id IS NULL GROUP BY user_id) g
  ON g.user_id = u.id
LEFT JOIN (SELECT user_id, sum(price_credits) AS spent FROM jobs WHERE state = 'succeeded'
           GROUP BY user_id) s ON s.user_id = u.id
WHERE u.id = ANY(%(users)s)
"""
_EXTRA_MOVEMENTS = """
SELECT coalesce(sum(greatest(holds - 1, 0) + greatest(settlements - 1, 0)), 0) FROM (
  SELECT count(*) FILTER (WHERE kind = 'hold') AS holds,
         count(*) FILTER (WHERE kind IN ('capture', 'refund')) AS settlements
  FROM ledger WHERE job_id IS NOT NULL GROUP BY job_id) per_job
"""
_BADLY_SETTLED = """
SELECT count(*) FROM jobs j WHERE j.id = ANY(%(ids)s) AND j.settlement IS NOT NULL AND (
     (SELECT count(*) FROM ledger l WHERE l.job_id = j.id AND l.kind = 'hold') <> 1
  OR (SELECT count(*) FROM ledger l WHERE l.job_id = j.id AND l.kind IN ('capture', 'refund')) <> 1
  OR (j.state = 'succeeded') <> EXISTS (SELECT 1 FROM ledger l WHERE l.job_id = j.id AND l.kind = 'capture'))
"""


def money_figures(database_url: str, job_ids: list[uuid.UUID], job_users: list[int]) -> MoneyFigures:
    """Read the ledger and the jobs of the run."""
    with psycopg.connect(database_url) as conn:

        def one(sql: str, params: dict[str, Any] | None = None) -> int:
            row = conn.execute(sql, params).fetchone()
            return int(row[0]) if row else 0

        states: dict[str, int] = dict(
            conn.execute(
                "SELECT state, count(*) FROM jobs WHERE id = ANY(%s) GROUP BY state", (job_ids,)
            ).fetchall()
        )
        unnotified = "SELECT count(*) FROM jobs WHERE id = ANY(%(ids)s) AND settlement IS NOT NULL"
        return MoneyFigures(
            ledger_difference=one(_LEDGER_VS_BALANCE) + one(_SPENT_VS_BALANCE, {"users": job_users}),
            duplicates_applied=one(_EXTRA_MOVEMENTS),
            jobs_badly_settled=one(_BADLY_SETTLED, {"ids": job_ids}),
            jobs_unfinished=len(job_ids) - sum(states.get(s, 0) for s in _TERMINAL),
            jobs_unnotified=one(unnotified + " AND notified_at IS NULL", {"ids": job_ids}),
            jobs_by_state={str(k): int(v) for k, v in states.items()},
            kie_spend_uncovered=float(
                conn.execute(_UNCOVERED, {"ids": job_ids}).fetchone()[0]  # type: ignore[index]
            ),
        )


_TERMINAL = ("succeeded", "failed", "cancelled", "expired")
_UNCOVERED = """
SELECT coalesce(sum(kie_credits_consumed), 0) FROM jobs
WHERE id = ANY(%(ids)s) AND settlement IS DISTINCT FROM 'captured'
"""
