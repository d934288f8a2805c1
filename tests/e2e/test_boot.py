"""A start that does not depend on the Bot API accepting the bot's settings (commands, menu button)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port
from tests.e2e.system import System, migrate, prepare_home, start, wait_until
from tests.e2e.telegram_control import TelegramControl

pytestmark = pytest.mark.e2e

SETTINGS_METHODS = ("setMyCommands", "setChatMenuButton", "setMyDescription", "setMyShortDescription")


@pytest.fixture(name="refusing_system")
def _refusing_system(
    xprocess: Any, tmp_path: Path, system_env_factory: Any, telegram: TelegramControl
) -> Iterator[System]:
    """A system started while the Bot API answers every settings call with a 500."""
    for method in SETTINGS_METHODS:
        telegram.add_fault(method=method, kind="500", count=None)
    port = free_port()
    env = system_env_factory(PORT=str(port), WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/webhook")
    migrate(env)
    try:
        yield from start(xprocess, prepare_home(tmp_path), port, env)
    finally:
        telegram.clear_faults()


def buttons(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [str(button["callback_data"]) for row in rows for button in row if "callback_data" in button]


def welcome_of(telegram: TelegramControl, user: int, timeout: float = 30) -> dict[str, Any]:
    """Send /start and return the welcome it brings, which has the menu buttons."""
    count = len(telegram.bot_messages(user))
    telegram.send_text(user, "/start")
    fresh = wait_until(lambda: telegram.bot_messages(user)[count:], timeout, "the welcome")
    assert buttons(fresh[0]), fresh
    return dict(fresh[0])


def answered(telegram: TelegramControl, query_id: str) -> bool:
    calls = telegram.calls("answerCallbackQuery")
    return any(str(c["params"]["callback_query_id"]) == query_id and c["status"] == 200 for c in calls)


class TestBootWithoutBotSettings:
    def test_bot_answers_while_every_settings_call_is_refused(
        self, refusing_system: System, telegram: TelegramControl
    ) -> None:
        """/start, every menu button and free text are answered; no program restarts; settings retried."""
        user = telegram.create_user("boot")
        welcome = welcome_of(telegram, user, timeout=120)  # the workers may still be importing PTB
        for data in buttons(welcome):
            # A press may turn the welcome into another screen, so each button gets a fresh welcome.
            fresh = welcome_of(telegram, user)
            query = telegram.press_button(user, fresh["message_id"], data)["callback_query"]["id"]
            wait_until(lambda q=str(query): answered(telegram, q), 30, f"an answer to {data}")
        writer = telegram.create_user("free-text")
        telegram.send_text(writer, "a cat on a sofa, watercolour")
        wait_until(lambda: telegram.bot_messages(writer), 30, "an answer to free text")
        wait_until(lambda: len(telegram.calls("setMyCommands")) >= 2, 30, "settings retried")
        assert all(call["status"] == 500 for call in telegram.calls("setMyCommands"))
        time.sleep(2.0)  # a worker that exits on a refused call would be restarting by now
        processes = refusing_system.processes()
        assert all(info["statename"] == "RUNNING" for info in processes.values()), processes
        exits = [line for line in refusing_system.logs()["supervisord.log"].splitlines() if "exited:" in line]
        assert not exits, exits
