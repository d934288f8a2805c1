"""Floods of duplicates: Telegram updates posted again and KIE callbacks posted again, concurrently.

Each delivered update of the load is POSTed ``copies`` more times straight to the webhook with the
right secret token; the webhook must answer ``duplicate: true`` every time (one stored as new would be
an update applied twice). Each finished KIE task's callback is POSTed ``copies`` more times to its own
callback URL; the webhook appends them (it leaves deduplication to `jobs`) and `jobs` must change
nothing, which the ledger checks afterwards show.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tests.e2e.telegram_control import TelegramControl

__all__ = ["DuplicateFlood"]

_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_NOT_RECORD = {"apiKey", "price", "genType", "kind", "callBackUrl", "plannedFail", "loseCallback",
               "duplicateCallback"}  # fmt: skip


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


def _envelope(task: dict[str, Any]) -> bytes:
    """The callback KIE sent for a finished task, rebuilt from the emulator's task record."""
    success = task["state"] == "success"
    data = {key: value for key, value in task.items() if key not in _NOT_RECORD}
    message = "Playground task completed successfully." if success else "Playground task failed."
    return json.dumps({"code": 200 if success else 501, "msg": message, "data": data}).encode()


@dataclass
class DuplicateFlood:
    """Re-sends updates and callbacks and counts the answers."""

    webhook_url: str
    secret: str
    kie_url: str
    copies: int = 3
    workers: int = 16
    update_answers: Counter[str] = field(default_factory=Counter)
    callback_answers: Counter[int] = field(default_factory=Counter)

    def updates(self, telegram: TelegramControl, update_ids: set[int]) -> int:
        """POST each delivered update among ``update_ids`` again; returns how many were stored anew."""
        bodies = [
            json.dumps({k: v for k, v in u.items() if k not in ("delivered", "attempts")}).encode()
            for u in telegram.updates()
            if u["delivered"] and int(u["update_id"]) in update_ids
        ]
        headers = {_SECRET_HEADER: self.secret, "Content-Type": "application/json"}
        with ThreadPoolExecutor(self.workers) as pool:
            answers = pool.map(lambda b: _post(self.webhook_url, b, headers), bodies * self.copies)
            for status, body in answers:
                self.update_answers[self._kind(status, body)] += 1
        return self.update_answers["stored"]

    def callbacks(self) -> int:
        """POST every finished task's callback again; returns how many were sent."""
        with urllib.request.urlopen(f"{self.kie_url}/_emulator/tasks", timeout=30) as response:
            tasks = json.load(response)["result"]
        posts = [
            (str(task["callBackUrl"]), _envelope(task))
            for task in tasks
            if task.get("callBackUrl") and task["state"] in ("success", "fail")
        ]
        headers = {"Content-Type": "application/json"}
        with ThreadPoolExecutor(self.workers) as pool:
            for status, _ in pool.map(lambda p: _post(p[0], p[1], headers), posts * self.copies):
                self.callback_answers[status] += 1
        return len(posts) * self.copies

    @staticmethod
    def _kind(status: int, body: bytes) -> str:
        if status != 200:
            return f"status {status}"
        return "duplicate" if json.loads(body).get("duplicate") else "stored"
