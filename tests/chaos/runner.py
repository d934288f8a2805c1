"""The chaos run: steady load, the faults in turn, the invariants, and ``bench/results/chaos.json``.

The load is 100 updates a second over 120 chats (``load.ChatLoad``) plus funded users making pictures
through the bot's wizard (``load.WizardLoad``). The faults, in turn: SIGKILLs of every program, a clean
restart of Redis and of PostgreSQL, three SIGKILLs of Redis and two of the whole PostgreSQL cluster
(shipped durability: fsync-always append-only file, WAL with fsync), a paused leader, duplicate floods;
throughout, the Bot API misbehaves (``botapi``: 429, 5xx, answers past the bot's timeout, dropped
connections, a refused profile) and KIE loses, duplicates and fails tasks.

Figures written (every count is over this run only):

- ``updates_sent``: updates the load made in the Bot API emulator (texts and button presses of the chat
  load, button presses of the wizard users; their typed texts are only counted in ``updates_per_s``);
- ``updates_accepted``: of those, how many the webhook accepted (their update_id is claimed in Redis,
  which the webhook does in the same script that appends the update to the inbox, before answering 200);
- ``updates_handled``: of those, how many were answered (see ``invariants``);
- ``updates_lost``: accepted (claimed) but never answered; ``replies``: every reply call in the
  emulator's record, attributed to its update, by outcome (``ok``, ``refused``, ``unattributed``);
- ``updates_per_s``: every update the load and the wizard users sent / seconds the load ran;
- ``redis_sigkills``, ``postgres_sigkills``: crashes made (from the fault timeline);
- ``botapi_faults``: Bot API calls the emulator answered with an injected fault, counted from its
  record of calls (``botapi_faults_by_kind`` per kind);
- ``jobs_via_bot``: jobs in PostgreSQL that the wizard users created during the run (every money
  figure is over these); ``wizard_generates`` / ``wizard_restarts``: Generate presses, and loops that
  timed out on a step and began again;
- ``duplicates_applied``: state effects applied twice: ledger rows beyond one hold and one settlement per
  job, plus duplicate-flood updates the webhook stored as new;
- ``ledger_difference``, ``jobs_unfinished``: see ``invariants``;
- ``hostile_inputs``: hostile requests sent (fixed corpus + hypothesis + slow clients);
  ``hostile_state_changes``: how many of them changed the state snapshot (``state.StateProbe``);
- ``max_chat_stall_s``: the longest time from sending an update to its first reply;
- ``partition_seconds``: how long the leading host was cut off from Redis, PostgreSQL and everything
  else (``tests.chaos.partition``); ``partition_epochs`` the cut-off term and the one that followed;
  ``partition_acted_after_term``: leader writes of the cut-off term later than a TTL into the cut;
  ``partition_late_writes_refused``: cut-off terms whose leader duty, replayed after the cut, the fence
  refused; ``partition_leases_lost``: ``lease_lost`` lines in the cut-off host's lock keeper log;
- ``duration_s``: wall time from the first update of the load to the end of the checks.

Also written, and checked by the test: ``hostile_unclear_answers`` (a hostile request answered with
anything but its expected 4xx, e.g. a 500), ``order_violations``, ``replies_repeated_unexplained``,
``jobs_unnotified``, ``jobs_badly_settled`` and ``forbidden_log_text``; written for reading only:
``replies_repeated`` (explained), ``log_tracebacks``, the duplicate floods' answers, faults and phases.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
import structlog

from tests.chaos.botapi import faults_answered, misbehave
from tests.chaos.corpus import Targets
from tests.chaos.duplicates import DuplicateFlood
from tests.chaos.hostile import HostileInput
from tests.chaos.invariants import money_figures, update_figures
from tests.chaos.kills import kill_each
from tests.chaos.leader import pause_leader
from tests.chaos.load import ChatLoad, Sent, WizardLoad, fund, jobs_of, kie_faults
from tests.chaos.network import HostNetwork
from tests.chaos.outages import restart_postgres, restart_redis, sigkill_postgres, sigkill_redis
from tests.chaos.partition import PartitionResult, partition_leader
from tests.chaos.servers import DurableRedis, PrivatePostgres
from tests.chaos.state import StateProbe
from tests.chaos.timeline import Timeline
from tests.e2e.system import FORBIDDEN_LOG_TEXT, System, wait_until
from tests.e2e.telegram_control import TelegramControl

__all__ = ["ChaosWorld", "run_chaos"]

log = structlog.get_logger()

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results" / "chaos.json"
CHATS = 120  # at 100 updates/s, under one reply a second per chat (Telegram's per-chat limit)
JOB_USERS = 30
DRAIN_SECONDS = 240
PARTITION_SECONDS = 12.0


@dataclass
class ChaosWorld:
    """Everything the run acts on: both hosts, both emulators, the private servers under them, and the
    network that can cut the second host off."""

    system: System
    second: System
    network: HostNetwork
    telegram: TelegramControl
    kie_url: str
    redis: DurableRedis
    postgres: PrivatePostgres
    probe: StateProbe
    secret: str
    callback_key: bytes
    lease_ttl: float
    phases: dict[str, float] = field(default_factory=dict)
    partitions: list[PartitionResult] = field(default_factory=list)

    @property
    def hosts(self) -> dict[str, System]:
        """Both hosts by host id, this namespace's first."""
        return {system.env["HOST_ID"]: system for system in (self.system, self.second)}


def run_chaos(world: ChaosWorld, rate: float = 100.0) -> dict[str, Any]:
    """Run the whole suite and return (and write) the figures."""
    telegram, timeline = world.telegram, Timeline()
    chats, welcome = _start_chats(telegram)
    job_users = [telegram.create_user(f"payer{n}") for n in range(JOB_USERS)]
    asyncio.run(fund(world.postgres.url, job_users))
    kie_faults(world.kie_url)
    misbehave(telegram)
    load = ChatLoad(telegram, chats, welcome, rate)
    jobs = WizardLoad(telegram, job_users)
    started = time.time()
    load.start()
    jobs.start()
    flood = DuplicateFlood(
        f"http://127.0.0.1:{world.system.port}/telegram/webhook", world.secret, world.kie_url
    )
    epochs: list[int] = []
    for name, phase in _phases(world, timeline, flood, load, epochs):
        _timed(world, name, phase)
        time.sleep(3)
    load.stop()
    jobs.stop()
    run_jobs = partial(jobs_of, world.postgres.url, job_users, started)
    waits: list[dict[str, float]] = []
    _timed(world, "drain", lambda: _drain(world, [*load.sent, *jobs.sent], run_jobs, waits))
    job_ids = run_jobs()  # after the drain: a Generate pressed as the load stopped makes its job later
    hostile = HostileInput(world.system.port, _targets(world), world.probe)
    _timed(world, "hostile input", hostile.run)
    report = _report(world, load, jobs, job_ids, job_users, timeline, flood, hostile, started)
    report["leader_epochs"] = epochs
    report["drain_waits"] = waits[:3] + waits[-3:]
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    return report


def _phases(
    world: ChaosWorld, timeline: Timeline, flood: DuplicateFlood, load: ChatLoad, epochs: list[int]
) -> list[tuple[str, Callable[[], object]]]:
    return [
        ("warm up", lambda: time.sleep(5)),
        ("sigkill each program", lambda: kill_each(world.system, timeline)),
        ("restart redis", lambda: restart_redis(world.redis, timeline)),
        ("restart postgres", lambda: restart_postgres(world.postgres, timeline)),
        ("sigkill redis", lambda: sigkill_redis(world.redis, timeline)),
        ("sigkill postgres", lambda: sigkill_postgres(world.postgres, timeline)),
        (
            "pause leader",
            lambda: epochs.extend(pause_leader(world.hosts, world.postgres.url, world.lease_ttl, timeline)),
        ),
        (
            "partition the leader's host",
            lambda: world.partitions.append(
                partition_leader(
                    world.system,
                    world.second,
                    world.network,
                    world.postgres.url,
                    timeline,
                    PARTITION_SECONDS,
                    world.lease_ttl,
                )
            ),
        ),
        ("duplicate updates", lambda: flood.updates(world.telegram, {s.update_id for s in load.sent})),
        ("duplicate callbacks", flood.callbacks),
    ]


def _timed(world: ChaosWorld, name: str, phase: Callable[[], object]) -> None:
    began = time.monotonic()
    log.info("chaos_phase", phase=name)
    phase()
    world.phases[name] = round(time.monotonic() - began, 1)


def _start_chats(telegram: TelegramControl) -> tuple[list[int], dict[int, int]]:
    """Users who sent /start; their welcome message (with its Help button) by chat."""
    chats = [telegram.create_user(f"chaos{n}") for n in range(CHATS)]
    for chat in chats:
        telegram.send_text(chat, "/start")
    welcome = {
        chat: int(wait_until(partial(telegram.bot_messages, chat), 90, f"welcome in {chat}")[0]["message_id"])
        for chat in chats
    }
    return chats, welcome


def _drain(
    world: ChaosWorld,
    sent: list[Sent],
    run_jobs: Callable[[], list[uuid.UUID]],
    waits: list[dict[str, float]],
) -> None:
    """Wait until every update is answered and every job finished and told (or the drain time is up).

    Each check that finds the run unsettled is noted in ``waits``: its second, unanswered updates,
    untold jobs.
    """
    began = time.monotonic()
    deadline = began + DRAIN_SECONDS

    def settled() -> bool:
        unanswered = len(update_figures(sent, world.telegram.calls(), Timeline()).unhandled)
        with psycopg.connect(world.postgres.url) as conn:
            row = conn.execute(
                "SELECT count(*) FROM jobs WHERE id = ANY(%s) AND notified_at IS NULL", (run_jobs(),)
            ).fetchone()
        untold = row[0] if row is not None else -1
        if unanswered or untold:
            at = round(time.monotonic() - began, 1)
            waits.append({"at_s": at, "unanswered": unanswered, "untold_jobs": untold})
        return not (unanswered or untold)

    while time.monotonic() < deadline and not _quietly(settled):
        time.sleep(2)
    time.sleep(3)  # anything handled twice would show by now


def _quietly(check: Callable[[], bool]) -> bool:
    try:
        return check()
    except (OSError, psycopg.Error):
        return False


def _targets(world: ChaosWorld) -> Targets:
    with psycopg.connect(world.postgres.url) as conn:
        rows = conn.execute(
            "SELECT id, kie_task_id FROM jobs WHERE kie_task_id IS NOT NULL LIMIT 20"
        ).fetchall()
    return Targets(world.secret, world.callback_key, [(row[0], str(row[1])) for row in rows])


# architecture.md's forbidden log text. A traceback alone is not among them here: a program may log an
# outage this suite causes with its exception; tracebacks are counted and shown in ``log_tracebacks``.
FORBIDDEN = tuple(text for text in FORBIDDEN_LOG_TEXT if not text.startswith("Traceback"))
TRACEBACK = "Traceback (most recent call last)"


def _all_logs(world: ChaosWorld) -> dict[str, str]:
    """Every log file of both hosts by name, the second host's prefixed with ``b/``."""
    return {**world.system.logs(), **{f"b/{name}": text for name, text in world.second.logs().items()}}


def _log_hits(world: ChaosWorld, needles: tuple[str, ...]) -> dict[str, list[str]]:
    """Per log file of either host, up to three lines containing one of ``needles``, each with its cause."""
    found: dict[str, list[str]] = {}
    for name, content in _all_logs(world).items():
        lines = content.splitlines()
        hits = [i for i, line in enumerate(lines) if any(t in line for t in needles)]
        if hits:
            found[name] = [_with_cause(lines, i) for i in hits[:3]]
    return found


def _timed_out_updates(world: ChaosWorld) -> set[int]:
    """Updates whose handler failed on a Bot API timeout, from the bot workers' logs of both hosts."""
    found: set[int] = set()
    for name, content in _all_logs(world).items():
        if not name.removeprefix("b/").startswith("bot"):
            continue
        for line in content.splitlines():
            if "stream_entry_failed" in line and "TimedOut" in line:
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    found.add(int(json.loads(line)["update_id"]))
    return found


def _with_cause(lines: list[str], index: int) -> str:
    """The hit line (its end) and, for a plain-text traceback, the exception line that closes it."""
    after = (line for line in lines[index + 1 :] if line and not line[0].isspace())
    return f"{lines[index][-300:]} ... {next(after, '')[:300]}"


def _report(
    world: ChaosWorld,
    load: ChatLoad,
    jobs: WizardLoad,
    job_ids: list[uuid.UUID],
    job_users: list[int],
    timeline: Timeline,
    flood: DuplicateFlood,
    hostile: HostileInput,
    started: float,
) -> dict[str, Any]:
    sent = [*load.sent, *jobs.sent]
    calls = world.telegram.calls()
    timeline.timed_out.update(_timed_out_updates(world))
    updates = update_figures(sent, calls, timeline)
    money = money_figures(world.postgres.url, job_ids, job_users)
    faults = faults_answered(calls)
    load_seconds = load.stopped_at - load.started_at
    return {
        "updates_sent": len(sent),
        "updates_accepted": world.probe.claimed([s.update_id for s in sent]),
        "updates_handled": updates.handled,
        "updates_lost": world.probe.claimed(updates.unhandled),
        "updates_per_s": round((len(sent) + len(jobs.texts)) / load_seconds, 1),
        "last_reply_after_load_s": round(updates.last_reply_at - load.stopped_at, 1),
        "replies": updates.replies,
        "redis_sigkills": timeline.summary().get("sigkill redis", 0),
        "postgres_sigkills": timeline.summary().get("sigkill postgres", 0),
        "botapi_faults": sum(faults.values()),
        "botapi_faults_by_kind": faults,
        "jobs_via_bot": len(job_ids),
        "wizard_generates": jobs.generates,
        "wizard_restarts": jobs.restarts,
        "duplicates_applied": money.duplicates_applied + flood.update_answers["stored"],
        "ledger_difference": money.ledger_difference,
        "jobs_unfinished": money.jobs_unfinished,
        "jobs_unnotified": money.jobs_unnotified,
        "jobs_badly_settled": money.jobs_badly_settled,
        "jobs_by_state": money.jobs_by_state,
        "kie_spend_uncovered": money.kie_spend_uncovered,
        "hostile_inputs": hostile.tried,
        "hostile_state_changes": len(hostile.state_changes),
        "hostile_unclear_answers": hostile.unclear,
        "hostile_state_change_details": hostile.state_changes[:10],
        "max_chat_stall_s": round(updates.max_stall_s, 2),
        "updates_timed_out": len(timeline.timed_out),
        "replies_repeated": updates.repeated,
        "replies_repeated_unexplained": updates.repeated_unexplained,
        "order_violations": updates.order_violations,
        "unhandled_update_ids": updates.unhandled[:50],
        "duplicate_update_answers": dict(flood.update_answers),
        "duplicate_callback_answers": {str(k): v for k, v in flood.callback_answers.items()},
        "forbidden_log_text": _log_hits(world, FORBIDDEN),
        "log_tracebacks": _log_hits(world, (TRACEBACK,)),
        "partition_seconds": sum(p.seconds for p in world.partitions),
        "partition_epochs": [[p.epoch_cut_off, p.epoch_after] for p in world.partitions],
        "partition_leases_lost": sum(p.leases_lost for p in world.partitions),
        "partition_acted_after_term": [row for p in world.partitions for row in p.acted_after_term],
        "partition_late_writes_refused": sum(p.late_write_refused for p in world.partitions),
        "faults": timeline.summary(),
        "fault_windows": [
            [f.what, round(f.start, 3), round(f.end, 3)] for f in timeline.faults if f.cuts_calls
        ],
        "load_errors": load.errors[:20],
        "phases_s": world.phases,
        "duration_s": round(time.time() - started, 1),
    }
