"""Steady load from the emulators' side: users sending text and pressing buttons, and generation jobs.

``ChatLoad`` acts as Telegram users through the Bot API emulator's control API: each chat sends free
text (answered with the help reply quoting it) and presses the welcome's Help button, at a fixed rate,
round robin. Every text carries a per-chat marker ``#n#`` (n counts up) followed by a unicode edge case,
so its reply can be found and its order checked. ``WizardLoad`` has funded users create generation jobs
through the bot's own wizard (``/start`` → Image from text → prompt → Generate); ``kie_faults`` makes
the KIE emulator lose, duplicate and fail some of them.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
import structlog
from psycopg_pool import AsyncConnectionPool

from shared.chat.callbacks import Op, encode
from shared.ledger import Ledger, MovementKind
from tests.e2e.telegram_control import TelegramControl

__all__ = ["START_CREDITS", "ChatLoad", "Sent", "WizardLoad", "fund", "jobs_of", "kie_faults"]

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
    """Sends ``rate`` updates a second over ``chats`` users until stopped; paused while ``quiet`` is set.

    ``senders`` threads share the rate, each owning every ``senders``-th chat (so one chat's updates
    still leave in order); each keeps to a fixed schedule, catching up after a slow send.
    """

    telegram: TelegramControl
    chats: list[int]
    welcome: dict[int, int]
    rate: float
    senders: int = 4
    sent: list[Sent] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    quiet: threading.Event = field(default_factory=threading.Event)
    started_at: float = 0.0
    stopped_at: float = 0.0
    _stopped: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        super().__init__(name="chat-load", daemon=True)

    @property
    def per_second(self) -> float:
        """Updates sent per second of the load's run (until now while it runs)."""
        ran = (self.stopped_at or time.time()) - self.started_at
        return len(self.sent) / ran if self.started_at and ran > 0 else 0.0

    def run(self) -> None:
        self.started_at = time.time()
        lanes = [
            threading.Thread(target=self._send_lane, args=(self.chats[n :: self.senders],), daemon=True)
            for n in range(self.senders)
        ]
        for lane in lanes:
            lane.start()
        for lane in lanes:
            lane.join()
        self.stopped_at = time.time()

    def _send_lane(self, chats: list[int]) -> None:
        counters = {chat: itertools.count() for chat in chats}
        interval = self.senders / self.rate
        due = time.monotonic()
        for step in itertools.count():
            due += interval
            if self._stopped.wait(max(0.0, due - time.monotonic())):
                return
            if self.quiet.is_set():
                continue
            chat = chats[step % len(chats)]
            try:
                self._send_one(chat, next(counters[chat]))
            except OSError as exc:  # the emulator is not under test; note it and go on
                self.errors.append(repr(exc))

    def _send_one(self, chat: int, n: int) -> None:
        """The chat's ``n``-th update: every fourth a press of the welcome's Help button, else a text."""
        at = time.time()
        if n % 4 == 3:
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


PICTURE_FROM_TEXT = "t:text-to-image"


def _is_generate(data: str) -> bool:
    """The confirmation's Generate button (``c:{draft}:g``)."""
    return data.startswith("c:") and data.endswith(":g")


@dataclass(eq=False)
class WizardLoad(threading.Thread):
    """Funded users making pictures through the bot's own wizard, over and over, until stopped.

    Each user's loop is the quick path: /start, press "Image from text" on the menu it answers with,
    type the prompt, press Generate on the confirmation. A step waits for the bot's message with the
    button it needs (the chat's updates are handled in order, so the prompt can follow the press at
    once); a step not answered within ``step_timeout`` starts the loop over. The jobs are whatever the
    bot created: ``jobs_via_bot`` reads them from PostgreSQL. Button presses are kept in ``sent`` (each
    must be answered like any other); typed texts in ``texts``.
    """

    telegram: TelegramControl
    users: list[int]
    step_timeout: float = 60.0
    sent: list[Sent] = field(default_factory=list)
    texts: list[int] = field(default_factory=list)
    generates: int = 0
    restarts: int = 0
    _stopped: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        super().__init__(name="wizard-load", daemon=True)

    def run(self) -> None:
        loops = [threading.Thread(target=self._user_loop, args=(u,), daemon=True) for u in self.users]
        for loop in loops:
            loop.start()
        for loop in loops:
            loop.join()

    def _user_loop(self, user: int) -> None:
        for n in itertools.count():
            if self._stopped.is_set():
                return
            try:
                made = self._one_picture(user, n)
            except OSError as exc:
                log.info("chaos_wizard_error", error=repr(exc))
                made = False
            if made:
                self.generates += 1
            else:
                self.restarts += 1

    def _one_picture(self, user: int, n: int) -> bool:
        seen = len(self.telegram.bot_messages(user))
        self._text(user, "/start")
        menu = self._wait_for_button(user, seen, lambda data: data == PICTURE_FROM_TEXT)
        if menu is None:
            return False
        seen = len(self.telegram.bot_messages(user))
        self._press(user, menu[0], PICTURE_FROM_TEXT)
        self._text(user, f"chaos picture {user} {n}")
        confirm = self._wait_for_button(
            user, seen, lambda data: data.startswith("c:") and data.endswith(":g")
        )
        if confirm is None:
            return False
        self._press(user, *confirm)
        return True

    def _text(self, user: int, text: str) -> None:
        self.texts.append(int(self.telegram.send_text(user, text)["update_id"]))

    def _press(self, user: int, message_id: int, data: str) -> None:
        update = self.telegram.press_button(user, message_id, data)
        marker = str(update["callback_query"]["id"])
        self.sent.append(Sent(int(update["update_id"]), user, "press", marker, time.time()))

    def _wait_for_button(self, user: int, seen: int, wanted: Callable[[str], bool]) -> tuple[int, str] | None:
        """The newest of the bot's messages past the first ``seen`` with a wanted button: (id, data)."""
        deadline = time.monotonic() + self.step_timeout
        while not self._stopped.is_set() and time.monotonic() < deadline:
            for message in reversed(self.telegram.bot_messages(user)[seen:]):
                rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
                for data in (str(b.get("callback_data", "")) for row in rows for b in row):
                    if wanted(data):
                        return int(message["message_id"]), data
            time.sleep(0.5)
        return None

    def stop(self) -> None:
        self._stopped.set()
        self.join(self.step_timeout + 30)


def jobs_of(database_url: str, users: list[int], since: float) -> list[uuid.UUID]:
    """The jobs ``users`` created from ``since`` (Unix time) on, oldest first."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT id FROM jobs WHERE user_id = ANY(%s) AND created_at >= to_timestamp(%s)"
            " ORDER BY created_at",
            (users, since),
        ).fetchall()
    return [row[0] for row in rows]


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
