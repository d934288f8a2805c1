"""No update lost, none handled twice, per-chat order kept: 2,000 updates while processes are SIGKILLed."""

from __future__ import annotations

import itertools
import os
import random
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from shared.chat.callbacks import Op, encode
from shared.chat.texts import Language, Texts
from tests.conftest import free_port
from tests.e2e.system import System, migrate, prepare_home, start, wait_until
from tests.e2e.telegram_control import TelegramControl

pytestmark = pytest.mark.e2e

CHATS = 100
UPDATES = 2000
KILLABLE = ["bot:bot_00", "bot:bot_01", "webhook"]
IN_FLIGHT_SECONDS = 1.0
"""How long before the emulator records a call (``at``, taken when it processes the request) the worker
may have written it: on a loaded machine the request waits in the emulator's queue, and a worker killed
meanwhile has cut that HTTP exchange as surely as one killed after Telegram answered."""


@dataclass(frozen=True)
class Action:
    user_id: int
    kind: str  # "text" or "press"
    text: str


class Killer(threading.Thread):
    """SIGKILLs a random killable program every so often until stopped."""

    def __init__(self, system: System, interval: tuple[float, float], seed: int) -> None:
        super().__init__(daemon=True)
        self._system = system
        self._interval = interval
        self._random = random.Random(seed)
        self._stopped = threading.Event()
        self.kills: list[str] = []
        self.worker_kill_times: list[float] = []

    def run(self) -> None:
        while not self._stopped.wait(self._random.uniform(*self._interval)):
            name = self._random.choice(KILLABLE)
            info = self._system.processes()[name]
            if info["statename"] != "RUNNING":
                continue
            try:
                os.kill(info["pid"], signal.SIGKILL)
            except ProcessLookupError:  # died a moment ago; supervisord has not noticed yet
                continue
            self.kills.append(name)
            if name.startswith("bot:"):
                self.worker_kill_times.append(time.time())

    def cut_short(self, sent_at: float) -> bool:
        """Whether a worker was killed while a Bot API call sent at ``sent_at`` could be unrecorded.

        The journal records a call's result right after Telegram answers; only a kill in that gap (or
        during the HTTP exchange itself) can make a re-handled update repeat the call.
        """
        return any(-IN_FLIGHT_SECONDS <= killed - sent_at <= 1.0 for killed in self.worker_kill_times)

    def stop(self) -> None:
        self._stopped.set()
        self.join()


def plan(users: list[int], seed: int) -> list[Action]:
    """19 actions per chat after /start, interleaved across chats; each text is unique."""
    rng = random.Random(seed)
    per_chat = {user: [] for user in users}  # type: dict[int, list[Action]]
    for user in users:
        for k in range((UPDATES - CHATS) // CHATS):
            kind = "press" if rng.random() < 0.3 else "text"
            per_chat[user].append(Action(user, kind, f"t-{user}-{k}"))
    actions: list[Action] = []
    while any(per_chat.values()):
        user = rng.choice([u for u, left in per_chat.items() if left])
        actions.append(per_chat[user].pop(0))
    return actions


TEXTS = Texts()
HELP_BUTTON = encode(Op.HELP)
"""The welcome's Help button: each press is answered and posts the help message."""


def expected_reply(action: Action) -> str:
    """Free text gets the offer to make something of it, quoting it; a Help press gets the help message."""
    if action.kind == "text":
        return TEXTS.get("draft_offer", Language.EN, preview=action.text)
    return TEXTS.get("help", Language.EN)


@pytest.fixture(name="delivery_system")
def _delivery_system(
    xprocess: Any, tmp_path: Path, system_env_factory: Any, request: Any
) -> Iterator[System]:
    port = free_port()
    mode = request.param
    # The kills are this test's doing: the crash guard would (rightly) stop a program killed six times a
    # minute, and whether it does depends only on how fast the machine sends 2,000 updates.
    extra = {"BOT_MODE": mode, "RESTART_INTENSITY": "1000"}
    if mode == "webhook":
        extra["WEBHOOK_URL"] = f"http://127.0.0.1:{port}/telegram/webhook"
    env = system_env_factory(PORT=str(port), **extra)
    migrate(env)
    yield from start(xprocess, prepare_home(tmp_path), port, env)


@pytest.mark.parametrize("delivery_system", ["webhook", "polling"], indirect=True)
class TestDeliveryUnderKills:
    def test_every_update_handled_once_in_chat_order(
        self, delivery_system: System, telegram: TelegramControl
    ) -> None:
        """2,000 text and button updates over 100 chats, workers and webhook SIGKILLed at random moments."""
        system = delivery_system
        users = [telegram.create_user(f"user{i}") for i in range(CHATS)]
        for user in users:
            telegram.send_text(user, "/start")
        welcome = {
            user: wait_until(lambda u=user: telegram.bot_messages(u), 60, f"welcome in chat {user}")[0][
                "message_id"
            ]
            for user in users
        }
        actions = plan(users, seed=len(users))
        expected = {user: [expected_reply(a) for a in actions if a.user_id == user] for user in users}
        presses: set[str] = set()
        killer = Killer(system, interval=(0.2, 0.6), seed=7)
        killer.start()
        try:
            for action in actions:
                if action.kind == "text":
                    telegram.send_text(action.user_id, action.text)
                else:
                    pressed = telegram.press_button(action.user_id, welcome[action.user_id], HELP_BUTTON)
                    presses.add(str(pressed["callback_query"]["id"]))
                time.sleep(0.004)  # about 200 updates/s, so the kills land while traffic flows
        finally:
            killer.stop()
        assert len(killer.kills) >= 5, killer.kills
        wait_until(
            lambda: all(
                len(sent) >= len(expected[u]) for u, sent in replies_by_chat(telegram, users).items()
            ),
            180,
            "a reply to every update",
        )
        time.sleep(3.0)  # anything handled twice would arrive by now
        duplicates, unexplained = 0, []  # type: int, list[str]
        for user, sent in replies_by_chat(telegram, users).items():
            duplicates += match_replies(sent, expected[user], killer, f"chat {user}", unexplained)
        answered = [c for c in telegram.calls("answerCallbackQuery") if c["status"] == 200]
        ids = [str(c["params"]["callback_query_id"]) for c in answered]
        ours = [query_id for query_id in ids if query_id in presses]
        assert len(ours) == len(set(ours)) == len(presses) == sum(a.kind == "press" for a in actions)
        print(f"kills={killer.kills} repeated_replies={duplicates}")
        assert not unexplained, "; ".join(unexplained)


def replies_by_chat(telegram: TelegramControl, users: list[int]) -> dict[int, list[tuple[str, float]]]:
    """Per chat, the bot's sendMessage calls after the welcome, as (text, time) in call order."""
    sent: dict[int, list[tuple[str, float]]] = {user: [] for user in users}
    for call in telegram.calls("sendMessage"):
        if call["status"] == 200 and int(call["params"]["chat_id"]) in sent:
            sent[int(call["params"]["chat_id"])].append((str(call["params"]["text"]), float(call["at"])))
    return {user: calls[1:] for user, calls in sent.items()}


def match_replies(
    sent: list[tuple[str, float]], expected: list[str], killer: Killer, chat: str, unexplained: list[str]
) -> int:
    """Check ``sent`` is ``expected`` in order, each once, except repeats a worker kill explains.

    Returns the number of repeats. A repeat is the same text sent again right after itself, because
    the worker died before journaling that reply's result. Replies are compared as runs of one text
    (two Help presses in a row rightly get the same help message twice): a run of the chat must hold
    at least as many replies as the run expected there, and each extra one must follow a send that a
    kill could have cut short; one that does not is added to ``unexplained``.
    """
    got, wanted = _runs([text for text, _ in sent]), _runs(expected)
    shown = [(text[:40], count) for text, count in got]
    assert [text for text, _ in got] == [text for text, _ in wanted], f"{chat}: replies out of order {shown}"
    repeats, start = 0, 0
    for (_, count), (_, want) in zip(got, wanted, strict=True):
        assert count >= want, f"{chat}: {want - count} updates never answered"
        run = sent[start : start + count]
        start += count
        extra = count - want
        repeats += extra
        cut = sum(killer.cut_short(at) for _, at in run[:-1])
        if extra > cut:
            unexplained.append(
                f"{chat}: {run[0][0][:40]!r} sent {count} times for {want} updates, {cut} of them near a "
                f"kill: at {[round(at, 3) for _, at in run]}, worker kills at {killer.worker_kill_times}"
            )
    return repeats


def _runs(texts: list[str]) -> list[tuple[str, int]]:
    """Consecutive equal texts as (text, how many)."""
    return [(text, len(list(group))) for text, group in itertools.groupby(texts)]
