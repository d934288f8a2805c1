"""Telegram Bot API emulator: an aiohttp server that plays api.telegram.org for tests and the sandbox.

Run it::

    python -m emulators.telegram --port 8081 [--token TOKEN ...]

It binds 127.0.0.1 and prints ``telegram emulator listening on http://127.0.0.1:8081`` when ready.
Bot methods live at ``/bot{token}/{method}`` (GET query, POST JSON, urlencoded or multipart), files at
``/file/bot{token}/{file_path}``. Answers use Telegram's envelope: ``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": N, "description": "..."}``.

In process::

    state = BotApiState(["123:TOKEN"])
    async with run_emulator(state, port=port) as emulator:
        user = state.create_user("Ann")
        state.send_text(user.id, "/start")
        ...
        assert [m.text for m in state.bot_replies(user.id)] == ["Hello"]
"""

from __future__ import annotations

from .app import RunningEmulator, create_app, run_emulator
from .delivery import DeliveryPolicy
from .errors import BotApiError, EmulatorError
from .faults import FaultKind, FaultRule
from .model import Chat, Message, RecordedCall, Update, User
from .state import DEFAULT_TOKEN, BotApiState

__all__ = [
    "DEFAULT_TOKEN",
    "BotApiError",
    "BotApiState",
    "Chat",
    "DeliveryPolicy",
    "EmulatorError",
    "FaultKind",
    "FaultRule",
    "Message",
    "RecordedCall",
    "RunningEmulator",
    "Update",
    "User",
    "create_app",
    "run_emulator",
]
