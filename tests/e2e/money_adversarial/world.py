"""The money suite's world: the running system, its emulators, and the moves every scenario makes."""

from __future__ import annotations

import itertools
import json
import random
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

import psycopg

from shared.chat.texts import Language, Texts
from tests.e2e.system import WEBHOOK_SECRET, System, wait_until
from tests.e2e.telegram_control import TelegramControl
from tests.e2e.test_bot_flows import Walker, balance, buttons

KIE_KEY = "kie-money-adversarial-key"
ADMIN_ID = 6_200_000_001
MARKUP = Decimal("1.5")
PACK_CREDITS, PACK_STARS = 100, 50
BIG_PACK_CREDITS, BIG_PACK_STARS = 500, 225
TEXTS = Texts()
RECEIPT = "✅ Payment received"
IMAGE = "nano-banana-2"
"""8 KIE credits, a price KIE's docs state (the emulator charges it too), sold for 12 at markup 1.5."""
VIDEO = "kling-2.6/text-to-video"
"""55 KIE credits for the default 5 s, sold for 83."""
MUSIC = "V5"
"""Suno: two tracks, 12 KIE credits (the emulator's charge: KIE's price was not captured), sold for 18."""
SLOW_SEND = 6.0
"""A Bot API answer slower than PTB's 5 s read timeout: the bot gives up, Telegram still delivers."""
update_ids = itertools.count(random.randrange(10**9, 2 * 10**9))


def t(key: str, **values: object) -> str:
    return TEXTS.get(key, Language.EN, **values)


@dataclass
class World:
    """The running system and its two emulators, with the moves the scenarios make."""

    system: System
    tg: TelegramControl
    kie_url: str
    db: str

    # -- acting --------------------------------------------------------------------------------

    def admin(self, text: str) -> str:
        """An admin command and the bot's answer to it."""
        count = len(self.tg.bot_messages(ADMIN_ID))
        self.tg.send_text(ADMIN_ID, text)
        wait_until(lambda: len(self.tg.bot_messages(ADMIN_ID)) > count, 30, f"the answer to {text!r}")
        return str(self.tg.bot_messages(ADMIN_ID)[count]["text"])

    def user(self, credits: int | None = None) -> Walker:
        """A new user who has sent /start (50 starter credits), topped up to `credits` if given."""
        walker = Walker(self.tg, Language.EN)
        walker.text("/start")
        if credits is not None and credits > balance(self.db, walker.user):
            self.admin(f"/grant {walker.user} {credits - balance(self.db, walker.user)} e2e")
        return walker

    def confirm(self, walker: Walker, model: str, prompt: str) -> dict[str, Any]:
        """Walk the model's wizard with its defaults up to the confirm screen; that screen."""
        walker.open_model(gen_type(model), model)
        walker.keep_defaults_until_input()
        walker.text(prompt)
        return walker.last()

    def run_job(self, walker: Walker, model: str = IMAGE, prompt: str = "a lighthouse") -> Job:
        """Generate and wait until KIE has the task; the job (progress message included)."""
        self.confirm(walker, model, prompt)
        before = len(jobs_of(self.db, walker.user))
        progress = walker.generate()
        wait_until(
            lambda: len(jobs_of(self.db, walker.user)) > before and jobs_of(self.db, walker.user)[-1].task,
            30,
            "KIE accepting the task",
        )
        return with_progress(jobs_of(self.db, walker.user)[-1], progress)

    def press_cancel(self, walker: Walker, job: Job) -> str:
        """Cancel on the job's progress message; the toast (or the new last message's text)."""
        answer = walker.press(job.progress["message_id"], cancel_data(job.progress))
        return str(answer.get("text") or walker.message(job.progress["message_id"]).get("text") or "")

    def kie(self, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(
            f"{self.kie_url}/_emulator/{path}",
            data=None if body is None else json.dumps(body).encode(),
            method="GET" if body is None else "POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = json.load(response)
        assert payload["ok"], payload
        return payload["result"]

    def complete(self, job: Job) -> None:
        self.kie(f"tasks/{job.task}/complete", {})

    def settled(self, walker: Walker, job: Job) -> Job:
        settled: Job = wait_until(
            partial(settled_job, self.db, walker.user, job.id), 60, f"job {job.id} settled"
        )
        return settled

    def post_update(self, update: dict[str, Any]) -> None:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.system.port}/telegram/webhook",
            data=json.dumps(update).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200

    def alerts(self) -> list[str]:
        texts = (str(m.get("text") or "") for m in self.tg.bot_messages(ADMIN_ID))
        return [t for t in texts if "money check failed" in t]


@dataclass(frozen=True)
class Job:
    id: str
    state: str
    settlement: str | None
    reason: str | None
    task: str | None
    price: int
    result_message_id: int | None
    stop_waiting: bool
    progress_id: int
    ledger: tuple[str, ...]
    progress: dict[str, Any]


_JOBS = """
SELECT j.id::text, j.state, j.settlement, j.error_code, j.kie_task_id, j.price_credits,
       j.result_message_id, j.stop_waiting_at IS NOT NULL, j.progress_message_id,
       array(SELECT kind FROM ledger l WHERE l.job_id = j.id ORDER BY l.id)
FROM jobs j WHERE j.user_id = %s ORDER BY j.created_at, j.id
"""


def jobs_of(db: str, user: int) -> list[Job]:
    with psycopg.connect(db) as conn:
        rows = conn.execute(_JOBS, (user,)).fetchall()
    return [Job(*row[:9], tuple(row[9]), {}) for row in rows]  # type: ignore[call-arg]


def settled_job(db: str, user: int, job_id: str) -> Job | None:
    job = next(j for j in jobs_of(db, user) if j.id == job_id)
    return job if job.settlement is not None else None


def with_progress(job: Job, progress: dict[str, Any]) -> Job:
    return Job(**{**job.__dict__, "progress": progress})


def cancel_data(message: dict[str, Any]) -> str:
    data = (str(b["callback_data"]) for b in buttons(message))
    return next(d for d in data if d.startswith("j:") and d.endswith(":x"))


def gen_type(model: str) -> str:
    return {IMAGE: "text-to-image", VIDEO: "text-to-video", MUSIC: "music"}[model]


def at_once(*actions: Callable[[], object]) -> None:
    threads = [threading.Thread(target=action) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def delivering(db: str) -> bool:
    """A finisher holds a job's row while sending its result (`JobStore.settling`, between its read of
    the recipient and the capture)."""
    with psycopg.connect(db) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'"
            " AND query LIKE 'SELECT language, banned FROM users%%'"
        ).fetchone()
    return bool(row and row[0])


def media_of(message: dict[str, Any]) -> str | None:
    """How a result reached the chat: its media kind, or "link" for the bot-served download link."""
    kind = next((k for k in ("photo", "video", "audio", "document") if k in message), None)
    return kind or ("link" if "/results/" in (message.get("text") or "") else None)


def follow_link(message: dict[str, Any]) -> bytes:
    """The file behind a result link, fetched through the webhook's redirect."""
    url = next(word for word in str(message["text"]).split() if "/results/" in word)
    with urllib.request.urlopen(url, timeout=10) as response:
        return bytes(response.read())


def invoice(world: World, walker: Walker, credits: int) -> dict[str, Any]:
    """/buy, the pack: the invoice message and its sendInvoice parameters (the signed payload)."""
    walker.text("/buy")
    count = len([m for m in walker.messages() if "invoice" in m])
    walker.press(walker.last()["message_id"], f"by:{credits}")
    invoice = wait_until(lambda: [m for m in walker.messages() if "invoice" in m][count:], 30, "the invoice")[
        0
    ]
    calls = [c for c in world.tg.calls("sendInvoice") if c["status"] == 200]
    params = next(c["params"] for c in reversed(calls) if int(c["params"]["chat_id"]) == walker.user)
    return {"message": invoice, "payload": str(params["payload"])}


def paid_updates(world: World, user: int) -> list[dict[str, Any]]:
    return [
        {"update_id": u["update_id"], "message": u["message"]}
        for u in world.tg.updates()
        if (u.get("message") or {}).get("chat", {}).get("id") == user and "successful_payment" in u["message"]
    ]
