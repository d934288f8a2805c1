"""Inline mode through the real programs: ``@bot <prompt>`` in a group, through the webhook, both emulators.

Ann types the prompt in a group she shares with Bob, chooses the offer (sent "via @bot"), Bob's press of
its Generate is refused and costs nobody anything, Ann's press holds the price, and the jobs program edits
the picture into that very message (Ann also gets a copy in her own chat). In English and in Russian.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from shared.chat.texts import Language, Texts
from tests.conftest import free_port
from tests.e2e.emulators import emulator_process, kie_system_env
from tests.e2e.system import System, migrate, prepare_home, start, wait_until
from tests.e2e.telegram_control import TelegramControl

pytestmark = pytest.mark.e2e

KIE_KEY = "kie-inline-key"
TEXTS = Texts()
FIRST_REPLY_SECONDS = 120


@pytest.fixture(name="kie_url", scope="module")
def _kie_url(xprocess: Any) -> Iterator[str]:
    yield from emulator_process(
        xprocess, "kie", ["--api-key", f"{KIE_KEY}=100000000", "--no-rate-limits", "--duration", "all=1"]
    )


@pytest.fixture(name="inline_system")
def _inline_system(
    xprocess: Any, tmp_path: Path, system_env_factory: Any, kie_url: str, telegram: TelegramControl
) -> Iterator[System]:
    port = free_port()
    env = system_env_factory(**kie_system_env(port, kie_url, KIE_KEY), JOBS_SWEEP_INTERVAL_SECONDS="0.5")
    migrate(env)

    def ready(system: System) -> bool:
        return system.all_running() and f":{port}/" in str(telegram.webhook()["info"]["url"])

    yield from start(xprocess, prepare_home(tmp_path), port, env, ready=ready)


def _balance(database_url: str, user_id: int) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT balance FROM users WHERE id = %s", (user_id,)).fetchone()
    assert row is not None
    return int(row[0])


def _jobs(database_url: str, user_id: int) -> list[tuple[int, str | None, str]]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT price_credits, inline_message_id, state FROM jobs WHERE user_id = %s", (user_id,)
        ).fetchall()
    return [(int(r[0]), r[1], str(r[2])) for r in rows]


def _started(telegram: TelegramControl, name: str, language: Language) -> int:
    user = telegram.create_user_as(name, random.randrange(8 * 10**9, 9 * 10**9), language.value)
    telegram.send_text(user, "/start")
    wait_until(lambda: telegram.bot_messages(user), FIRST_REPLY_SECONDS, f"{name}'s welcome")
    return user


def _answer(telegram: TelegramControl, query_id: str) -> dict[str, Any]:
    """The bot's answerCallbackQuery of that press."""

    def answered() -> dict[str, Any] | None:
        for call in telegram.calls("answerCallbackQuery"):
            if call["status"] == 200 and call["params"]["callback_query_id"] == query_id:
                return dict(call["params"])
        return None

    return dict(wait_until(answered, 30, "the answer to a press"))


def _walk(telegram: TelegramControl, database_url: str, language: Language) -> None:
    ann, bob = _started(telegram, "Ann", language), _started(telegram, "Bob", Language.EN)
    group = telegram.create_group("Friends", [ann, bob])
    query = telegram.inline_query(ann, "a paper boat on a puddle", chat_id=group)
    answer = wait_until(lambda: telegram.inline_answer(query), 30, "the inline offer")
    [offer] = answer["results"]
    assert offer["description"] == "a paper boat on a puddle"
    message = telegram.choose_inline_result(ann, query, offer["id"])
    inline_id = message["emulator"]["inline_message_id"]
    generate = message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    before = {user: _balance(database_url, user) for user in (ann, bob)}

    refused = _answer(telegram, telegram.press_in_chat(bob, group, message["message_id"], generate))
    assert str(refused["show_alert"]).lower() == "true"  # form-encoded by the bot's client
    assert refused["text"].startswith(TEXTS.get("inline_not_yours", Language.EN, name="Ann", bot="x")[:10])
    assert _jobs(database_url, bob) == [] and _jobs(database_url, ann) == []

    started = _answer(telegram, telegram.press_in_chat(ann, group, message["message_id"], generate))
    assert started["text"] == TEXTS.get("inline_started", language)

    def shown() -> dict[str, Any] | None:
        found = [m for m in telegram.messages(group) if m["message_id"] == message["message_id"]]
        return found[0] if found and "photo" in found[0] else None

    picture = wait_until(shown, 60, "the picture edited into the inline message")
    # the capture commits just after the edit, in the same lock: wait for it rather than race it
    wait_until(lambda: _jobs(database_url, ann)[0][2] == "succeeded", 30, "the job to be captured")
    [(price, job_inline_id, state)] = _jobs(database_url, ann)
    assert (job_inline_id, state) == (inline_id, "succeeded")
    assert TEXTS.credits(price, language) in offer["title"]
    assert _balance(database_url, ann) == before[ann] - price
    assert _balance(database_url, bob) == before[bob], "the refused press charged nobody"
    copy = [m for m in telegram.bot_messages(ann) if "photo" in m]
    assert copy and copy[-1]["photo"][-1]["file_id"] == picture["photo"][-1]["file_id"]


class TestInlineMode:
    def test_offer_choose_generate_into_the_inline_message(
        self, inline_system: System, telegram: TelegramControl, database_url: str
    ) -> None:
        for language in (Language.EN, Language.RU):
            _walk(telegram, database_url, language)
