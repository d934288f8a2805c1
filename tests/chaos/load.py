"""Steady load from the emulators' side: users sending text and pressing buttons, and generation jobs.

``ChatLoad`` acts as Telegram users through the Bot API emulator's control API: each chat sends free
text (answered with the help reply quoting it) and presses the welcome's Help button, at a fixed rate,
round robin. Every text carries a per-chat marker ``#n#`` (n counts up) followed by a unicode edge case,
so its reply can be found and its order checked. ``JobLoad`` creates generation jobs directly through
``shared.jobs.JobStore`` (the bot's wizard is not part of this suite), retrying one job id through any
outage so each job is created exactly once; ``kie_faults`` makes the KIE emulator lose, duplicate and
fail some of them.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field

import psycopg
import structlog
from psycopg_pool import AsyncConnectionPool

from shared.chat.callbacks import Op, encode
from shared.jobs import JobStore, NewJob
from shared.ledger import Ledger, MovementKind
from tests.e2e.telegram_control import TelegramControl

__all__ = ["START_CREDITS", "ChatLoad", "JobLoad", "Sent", "fund", "kie_faults"]

log = structlog.get_logger()

START_CREDITS = 1_000_000
HELP_BUTTON = encode(Op.HELP)
# Text that must come back intact inside the quoted reply: combining marks, ZWJ emoji, RTL, astral
# letters, zero-width and line separators, CJK, a BOM. (HTML-special characters are left to the hostile
# corpus: the reply's parse mode may escape them.)
UNICODE_EDGES = (
    "e\u0301\u0301 a\u0308",
    "👩\u200d👩\u200d👧 🏳\ufe0f\u200d🌈",
    "مرحبا \u202eabc",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐍈",
    "a\u200bb\u2060c",
    "line\u2028sep",
    "漢字かなカナ",
    "\ufeffbom",
    "plain",
)


@dataclass(frozen=True)
class Sent:
    """One update the load made: its chat, kind (``text``/``press``), marker or query id, and when."""

    update_id: int
    chat: int
    kind: str
    marker: str
    at: float


@dataclass(eq=False)  # a thread must stay hashable
class ChatLoad(threading.Thread):
    """Sends ``rate`` updates a second over ``chats`` users until stopped; paused while ``quiet`` is set."""

    telegram: TelegramControl
    chats: list[int]
    welcome: dict[int, int]
    rate: float
    sent: list[Sent] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    quiet: threading.Event = field(default_factory=threading.Event)
    _stopped: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        super().__init__(name="chat-load", daemon=True)

    def run(self) -> None:
        counters = {chat: itertools.count() for chat in self.chats}
        for step in itertools.count():
            if self._stopped.wait(1 / self.rate):
                return
            if self.quiet.is_set():
                continue
            chat = self.chats[step % len(self.chats)]
            try:
                self._send_one(chat, next(counters[chat]), step)
            except OSError as exc:  # the emulator is not under test; note it and go on
                self.errors.append(repr(exc))

    def _send_one(self, chat: int, n: int, step: int) -> None:
        at = time.time()
        if step % 4 == 3:
            update = self.telegram.press_button(chat, self.welcome[chat], HELP_BUTTON)
            marker = str(update["callback_query"]["id"])
            self.sent.append(Sent(int(update["update_id"]), chat, "press", marker, at))
            return
        marker = f"#{n}#"
        update = self.telegram.send_text(chat, f"{marker} {UNICODE_EDGES[n % len(UNICODE_EDGES)]}")
        self.sent.append(Sent(int(update["update_id"]), chat, "text", marker, at))

    def stop(self) -> None:
        self._stopped.set()
        self.join(30)


@dataclass(eq=False)
class JobLoad(threading.Thread):
    """Creates one generation job every ``interval`` seconds for funded users until stopped."""

    database_url: str
    users: list[int]
    interval: float
    model_id: str = "z-image"
    created: list[uuid.UUID] = field(default_factory=list)
    _stopped: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        super().__init__(name="job-load", daemon=True)

    def run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        kwargs = {"autocommit": True, "connect_timeout": 2}
        async with AsyncConnectionPool(self.database_url, open=False, kwargs=kwargs, timeout=5) as pool:
            store = JobStore(pool)
            for n in itertools.count():
                if self._stopped.is_set():
                    return
                user = self.users[n % len(self.users)]
                params = {"prompt": f"chaos job {n}", "aspect_ratio": "1:1"}
                new = NewJob(user, user, self.model_id, params, 2 + n % 7, 40, 2)
                await self._create(store, new)
                await asyncio.sleep(self.interval)

    async def _create(self, store: JobStore, new: NewJob) -> None:
        """Create ``new`` once: the same job id is retried through outages until PostgreSQL says so."""
        while True:
            try:
                await store.create_job(new)
            except (psycopg.Error, OSError, TimeoutError) as exc:
                log.info("chaos_job_create_retry", reason=type(exc).__name__)
                await asyncio.sleep(0.5)
                continue
            self.created.append(new.job_id)
            return

    def stop(self) -> None:
        self._stopped.set()
        self.join(60)


def kie_faults(kie_url: str) -> None:
    """KIE misbehaving as in production: lost and duplicated callbacks, failed tasks, 429 on createTask."""
    rules = [
        (
            "faults/tasks",
            {"fail_fraction": 0.05, "lose_callback_fraction": 0.1, "duplicate_callback_fraction": 0.1},
        ),
        ("faults", {"endpoint": "createTask", "kind": "429", "fraction": 0.05}),
    ]
    for path, body in rules:
        request = urllib.request.Request(
            f"{kie_url}/_emulator/{path}",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert json.load(response)["ok"], body


async def fund(database_url: str, users: list[int]) -> None:
    """Give each job user ``START_CREDITS`` once (idempotency key ``chaos:{user}``)."""
    async with AsyncConnectionPool(database_url, open=False, kwargs={"autocommit": True}) as pool:
        ledger = Ledger(pool)
        for user in users:
            await ledger.ensure_user(user, language="en")
            await ledger.grant(user, START_CREDITS, MovementKind.GRANT, "chaos start", f"chaos:{user}")
