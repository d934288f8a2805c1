"""Bot API faults through the Telegram emulator's fault rules, and the count of those it answered.

``refuse_profile`` (before the system starts) makes Telegram refuse the bot's profile calls for a while:
setMyCommands with 500s and 400s, setChatMenuButton with a 400; the leader keeps retrying them.
``misbehave`` (during the run) spreads flood control (429 with retry_after), server errors, answers
slower than the bot's HTTP timeout (the call still takes effect: a reply the bot cannot know it made)
and dropped connections over the sends and callback answers the load causes. Each rule fires at most
``count`` times, on a random ``fraction`` of the matching calls, so the faults spread over the run.

``faults_answered`` counts, in the emulator's own record of calls, those its fault rules shaped (the
record names them per call); nothing here counts by hand.
"""

from __future__ import annotations

from typing import Any

from tests.e2e.telegram_control import TelegramControl

__all__ = ["CLIENT_TIMEOUT_SECONDS", "faults_answered", "misbehave", "refuse_profile"]

CLIENT_TIMEOUT_SECONDS = 5.0  # python-telegram-bot's default read timeout, which the bot keeps
LATE = CLIENT_TIMEOUT_SECONDS + 1.0  # a slow answer's delay: the bot has given up on it
PROFILE_REFUSALS = (
    {"method": "setMyCommands", "kind": "500", "count": 2},
    {"method": "setMyCommands", "kind": "400", "count": 1, "detail": "BOT_COMMAND_INVALID"},
    {"method": "setChatMenuButton", "kind": "400", "count": 1, "detail": "BUTTON_TYPE_INVALID"},
)
RUN_FAULTS = (
    {"method": "sendMessage", "kind": "429", "count": 15, "fraction": 0.004, "retry_after": 1},
    {"method": "sendMessage", "kind": "500", "count": 35, "fraction": 0.01},
    {"method": "sendMessage", "kind": "reset", "count": 25, "fraction": 0.008},
    {"method": "sendMessage", "kind": "slow", "count": 8, "fraction": 0.003, "delay": LATE},
    {"method": "answerCallbackQuery", "kind": "500", "count": 15, "fraction": 0.01},
    {"method": "answerCallbackQuery", "kind": "reset", "count": 15, "fraction": 0.01},
    {"method": "editMessageText", "kind": "429", "count": 5, "fraction": 0.02, "retry_after": 1},
)


def refuse_profile(telegram: TelegramControl) -> None:
    """Refuse the bot's first profile calls (the leader publishes them when it starts)."""
    for rule in PROFILE_REFUSALS:
        telegram.add_fault(**rule)


def misbehave(telegram: TelegramControl) -> None:
    """Start the run's Bot API faults."""
    for rule in RUN_FAULTS:
        telegram.add_fault(**rule)


def faults_answered(calls: list[dict[str, Any]]) -> dict[str, int]:
    """Per fault kind (``429``, ``500``, ``slow``, ``reset``, ``400``...), the recorded calls it shaped."""
    counts: dict[str, int] = {}
    for call in calls:
        for kind in filter(None, str(call.get("fault", "")).split(",")):
            counts[kind] = counts.get(kind, 0) + 1
    return counts
