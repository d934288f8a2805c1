"""Money under every trick and failure: one system (supervisord, the Bot API and KIE emulators) for all.

Users press Cancel at each job state (queued, submitted, running, delivering) and at the moment KIE's
callback arrives, press Generate and Cancel twice; payments are replayed, raced, underpaid, carry
another user's or another pack's signed payload or another currency; an admin's Star refund races the
user spending the credits, and one whose answer Telegram loses is run again; the Bot API emulator
refuses results (400 per media type, 403 blocked, 413) or answers too late. KIE tasks never end on their
own here (every phase lasts ten minutes): each scenario ends its task through the emulator's control
API when it wants the callback. The last test checks every user of the module against KIE's own
records: what KIE charged, what was captured, what was delivered, and that each balance is its ledger.
"""

from __future__ import annotations

import copy
import itertools
import json
import random
import subprocess
import sys
import threading
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

import psycopg
import pytest
import redis

from shared.chat.texts import Language, Texts
from tests.conftest import REDIS_URL, free_port, fresh_database
from tests.e2e.conftest import BOT_TOKEN
from tests.e2e.emulators import emulator_process, kie_system_env
from tests.e2e.system import WEBHOOK_SECRET, System, migrate, prepare_home, start, system_env, wait_until
from tests.e2e.telegram_control import TelegramControl
from tests.e2e.test_bot_flows import Walker, balance, buttons

pytestmark = pytest.mark.e2e

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
_update_ids = itertools.count(random.randrange(10**9, 2 * 10**9))


def _t(key: str, **values: object) -> str:
    return TEXTS.get(key, Language.EN, **values)


@pytest.fixture(name="kie_url", scope="module")
def _kie_url(xprocess: Any) -> Iterator[str]:
    """The KIE emulator; no task ends by itself: each phase lasts ten minutes unless ended by control."""
    options = ["--api-key", f"{KIE_KEY}=100000000", "--no-rate-limits", "--duration", "all=1800"]
    yield from emulator_process(xprocess, "kie", [*options, "--retry-delays", "0.3,0.6"])


@pytest.fixture(name="module_database", scope="module")
def _module_database() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture(name="module_prefix", scope="module")
def _module_prefix() -> Iterator[str]:
    prefix = f"trt-test:adv:{uuid.uuid4().hex[:8]}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(name="tg", scope="module")
def _tg(telegram_url: str) -> TelegramControl:
    return TelegramControl(telegram_url)


@pytest.fixture(name="world", scope="module")
def _world(
    xprocess: Any,
    tmp_path_factory: pytest.TempPathFactory,
    module_database: str,
    module_prefix: str,
    telegram_url: str,
    tg: TelegramControl,
    kie_url: str,
) -> Iterator[World]:
    port = free_port()
    env = system_env(
        DATABASE_URL=module_database,
        REDIS_KEY_PREFIX=module_prefix,
        HOST_ID=f"host-{uuid.uuid4().hex[:6]}",
        TELEGRAM_BOT_TOKEN=BOT_TOKEN,
        TELEGRAM_API_BASE_URL=telegram_url,
        **kie_system_env(port, kie_url, KIE_KEY),
        ADMIN_IDS=str(ADMIN_ID),
        PRICE_MARKUP=str(MARKUP),
        CREDIT_PACKS=f"{PACK_CREDITS}:{PACK_STARS},{BIG_PACK_CREDITS}:{BIG_PACK_STARS}",
        JOBS_SWEEP_INTERVAL_SECONDS="0.5",
    )
    migrate(env)

    def ready(system: System) -> bool:  # the first update must not wait for setWebhook
        return system.all_running() and f":{port}/" in str(tg.webhook()["info"]["url"])

    home = prepare_home(tmp_path_factory.mktemp("money-adversarial"))
    running = start(xprocess, home, port, env, ready=ready)
    system = next(running)
    try:
        tg.clear_faults()
        if ADMIN_ID not in tg.user_ids():
            tg.create_user_as("Admin", ADMIN_ID, "en")
        yield World(system, tg, kie_url, module_database)
    finally:
        tg.clear_faults()
        running.close()


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
        walker.open_model(_gen_type(model), model)
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
        return _with_progress(jobs_of(self.db, walker.user)[-1], progress)

    def press_cancel(self, walker: Walker, job: Job) -> str:
        """Cancel on the job's progress message; the toast (or the new last message's text)."""
        answer = walker.press(job.progress["message_id"], _cancel_data(job.progress))
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
            partial(_settled, self.db, walker.user, job.id), 60, f"job {job.id} settled"
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


def _settled(db: str, user: int, job_id: str) -> Job | None:
    job = next(j for j in jobs_of(db, user) if j.id == job_id)
    return job if job.settlement is not None else None


def _with_progress(job: Job, progress: dict[str, Any]) -> Job:
    return Job(**{**job.__dict__, "progress": progress})


def _cancel_data(message: dict[str, Any]) -> str:
    data = (str(b["callback_data"]) for b in buttons(message))
    return next(d for d in data if d.startswith("j:") and d.endswith(":x"))


def _gen_type(model: str) -> str:
    return {IMAGE: "text-to-image", VIDEO: "text-to-video", MUSIC: "music"}[model]


def _at_once(*actions: Callable[[], object]) -> None:
    threads = [threading.Thread(target=action) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _delivering(db: str) -> bool:
    """A finisher holds a job's row while sending its result (`JobStore.settling`, between its read of
    the recipient and the capture)."""
    with psycopg.connect(db) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'"
            " AND query LIKE 'SELECT language, banned FROM users%%'"
        ).fetchone()
    return bool(row and row[0])


def _media(message: dict[str, Any]) -> str | None:
    """How a result reached the chat: its media kind, or "link" for the bot-served download link."""
    kind = next((k for k in ("photo", "video", "audio", "document") if k in message), None)
    return kind or ("link" if "/results/" in (message.get("text") or "") else None)


def _follow_link(message: dict[str, Any]) -> bytes:
    """The file behind a result link, fetched through the webhook's redirect."""
    url = next(word for word in str(message["text"]).split() if "/results/" in word)
    with urllib.request.urlopen(url, timeout=10) as response:
        return bytes(response.read())


# -- cancel ------------------------------------------------------------------------------------


class TestCancelAtEveryState:
    def test_queued_double_generate_and_double_cancel_refund_once(self, world: World) -> None:
        """`jobs` stopped, so the job stays queued: two Generate presses make one job, two Cancels one
        refund of the whole price."""
        ann = world.user()
        start = balance(world.db, ann.user)
        confirm = world.confirm(ann, IMAGE, "a quiet harbour")
        assert world.system.ctl("stop", "jobs").returncode == 0
        try:
            generate = ann.data(confirm, prefix="c:", suffix=":g")
            _at_once(*(lambda: ann.press(confirm["message_id"], generate) for _ in range(2)))
            wait_until(lambda: jobs_of(world.db, ann.user), 30, "the job")
            (job,) = jobs_of(world.db, ann.user)
            assert job.state == "queued" and balance(world.db, ann.user) == start - job.price
            progress = ann.message(job.progress_id)
            cancel = _cancel_data(progress)
            _at_once(*(lambda: ann.press(progress["message_id"], cancel) for _ in range(2)))
            cancelled = _t("job_cancelled", credits=TEXTS.credits(job.price, Language.EN))
            wait_until(lambda: any(cancelled in str(m.get("text")) for m in ann.messages()), 30, "the refund")
        finally:
            assert world.system.ctl("start", "jobs").returncode == 0
        (job,) = jobs_of(world.db, ann.user)
        assert (job.state, job.ledger) == ("cancelled", ("hold", "refund"))
        assert balance(world.db, ann.user) == start
        assert sum(cancelled in str(m.get("text")) for m in ann.messages()) == 1

    @pytest.mark.parametrize("phase", ["submitted", "running"])
    def test_cancel_once_kie_has_the_task_keeps_the_charge_and_delivers(
        self, world: World, phase: str
    ) -> None:
        """KIE accepted (waiting) or is generating: Cancel only stops waiting; the result comes, charged."""
        ben = world.user()
        job = world.run_job(ben)
        if phase == "running":
            wait_until(lambda: _advanced_to_generating(world, job), 30, "KIE generating")
        stop_waiting = _t("job_stop_waiting", credits=TEXTS.credits(job.price, Language.EN))
        assert stop_waiting in world.press_cancel(ben, job)
        world.complete(job)
        settled = world.settled(ben, job)
        assert (settled.state, settled.ledger, settled.stop_waiting) == (
            "succeeded",
            ("hold", "capture"),
            True,
        )
        assert _media(ben.message(settled.result_message_id or 0)) == "photo"

    def test_stop_waiting_then_kie_fails_refunds_in_full(self, world: World) -> None:
        """After "stop waiting", KIE fails the task (and charges nothing): the whole price comes back."""
        lea = world.user()
        start = balance(world.db, lea.user)
        job = world.run_job(lea, IMAGE, "fails at KIE")
        assert _t("job_stop_waiting", credits=TEXTS.credits(job.price, Language.EN)) in world.press_cancel(
            lea, job
        )
        world.kie(f"tasks/{job.task}/fail", {"failCode": "500", "failMsg": "internal error"})
        settled = world.settled(lea, job)
        assert (settled.state, settled.ledger) == ("failed", ("hold", "refund"))
        assert balance(world.db, lea.user) == start

    def test_cancel_while_create_task_has_an_unknown_outcome(self, world: World) -> None:
        """createTask made the task but answered 500 (the job stays `submitting`, no task id): Cancel only
        stops waiting; KIE's callback then brings the task id, and the result is delivered, charged."""
        kim = world.user()
        world.confirm(kim, IMAGE, "an unknown outcome")
        world.kie("faults", {"endpoint": "createTask", "kind": "500", "after_create": True, "count": 1})
        tasks = len(world.kie("tasks"))
        progress = kim.generate()
        wait_until(lambda: len(world.kie("tasks")) > tasks, 30, "KIE creating the task")
        (job,) = wait_until(lambda: jobs_of(world.db, kim.user), 30, "the job")
        wait_until(
            lambda: "job_submit_outcome_unknown" in world.system.logs().get("jobs.log", ""), 30, "the 500"
        )
        assert jobs_of(world.db, kim.user)[0].state == "submitting"
        job = _with_progress(job, progress)
        stop_waiting = _t("job_stop_waiting", credits=TEXTS.credits(job.price, Language.EN))
        assert stop_waiting in world.press_cancel(kim, job)
        world.kie(f"tasks/{world.kie('tasks')[-1]['taskId']}/complete", {})
        settled = world.settled(kim, job)
        assert (settled.state, settled.ledger, settled.stop_waiting) == (
            "succeeded",
            ("hold", "capture"),
            True,
        )
        assert _media(kim.message(settled.result_message_id or 0)) == "photo"

    def test_cancel_while_the_result_is_being_delivered(self, world: World) -> None:
        """Cancel pressed while the finisher holds the job and Telegram is slow to take the photo: the
        press waits for the delivery and finds the job finished; captured once, nothing refunded."""
        cara = world.user()
        job = world.run_job(cara)
        world.tg.add_fault(method="sendPhoto", kind="slow", delay=2.5, count=1)
        world.complete(job)
        wait_until(lambda: _delivering(world.db), 30, "the finisher delivering the result")
        answer = world.press_cancel(cara, job)
        settled = world.settled(cara, job)
        assert answer == _t("job_already_finished")
        assert (settled.state, settled.ledger) == ("succeeded", ("hold", "capture"))

    def test_cancel_raced_with_the_callback(self, world: World) -> None:
        """Cancel and KIE's callback at the same moment: whichever wins, KIE's work is paid and delivered."""
        dan = world.user()
        job = world.run_job(dan)
        answers: list[str] = []
        _at_once(lambda: answers.append(world.press_cancel(dan, job)), lambda: world.complete(job))
        settled = world.settled(dan, job)
        assert (settled.state, settled.ledger) == ("succeeded", ("hold", "capture")), answers
        assert _media(dan.message(settled.result_message_id or 0)) == "photo"


def _advanced_to_generating(world: World, job: Job) -> bool:
    state = world.kie(f"tasks/{job.task}")["state"]
    if state != "generating":
        world.kie(f"tasks/{job.task}/advance", {})
    return bool(world.kie(f"tasks/{job.task}")["state"] == "generating")


# -- payments ----------------------------------------------------------------------------------


def _invoice(world: World, walker: Walker, credits: int) -> dict[str, Any]:
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


def _said(walker: Walker, text: str) -> bool:
    return any(m.get("text") == text for m in walker.messages())


def _paid_updates(world: World, user: int) -> list[dict[str, Any]]:
    return [
        {"update_id": u["update_id"], "message": u["message"]}
        for u in world.tg.updates()
        if (u.get("message") or {}).get("chat", {}).get("id") == user and "successful_payment" in u["message"]
    ]


def _payments(db: str, user: int) -> int:
    with psycopg.connect(db) as conn:
        row = conn.execute("SELECT count(*) FROM payments WHERE user_id = %s", (user,)).fetchone()
    return int(row[0]) if row else 0


class TestPayments:
    def test_a_payment_credits_exactly_what_was_paid(self, world: World) -> None:
        """Two invoices paid at once credit both; a replayed payment (twice, at once) nothing more; an
        underpaid, foreign-user, other-pack or other-currency payment nothing, each alerted."""
        eve, fay = world.user(), world.user()
        start = balance(world.db, eve.user)
        first, second = _invoice(world, eve, PACK_CREDITS), _invoice(world, eve, PACK_CREDITS)
        _at_once(
            *(lambda m=i: world.tg.pay_invoice(eve.user, m["message"]["message_id"]) for i in (first, second))
        )
        wait_until(lambda: len(_paid_updates(world, eve.user)) == 2, 30, "both payments")
        wait_until(lambda: balance(world.db, eve.user) == start + 2 * PACK_CREDITS, 30, "both credited")

        paid = _paid_updates(world, eve.user)[0]
        replays = [{**paid, "update_id": next(_update_ids)} for _ in range(2)]
        _at_once(*(lambda r=r: world.post_update(r) for r in replays))
        wait_until(
            lambda: sum(str(m.get("text", "")).startswith(RECEIPT) for m in eve.messages()) >= 4,
            30,
            "receipts for the replays",
        )
        assert balance(world.db, eve.user) == start + 2 * PACK_CREDITS and _payments(world.db, eve.user) == 2

        big = _invoice(world, eve, BIG_PACK_CREDITS)["payload"]
        foreign = _invoice(world, fay, PACK_CREDITS)["payload"]
        bad = {
            "underpaid": {"total_amount": 1},
            "another user's payload": {"invoice_payload": foreign},
            "another pack's payload": {"invoice_payload": big},
            "another pack's payload and price, in USD": {
                "invoice_payload": big,
                "total_amount": BIG_PACK_STARS,
                "currency": "USD",
            },
        }
        alerts = len(world.alerts())
        for what, change in bad.items():
            message = copy.deepcopy(paid["message"])
            charge = f"adv-{uuid.uuid4().hex[:12]}"
            message["successful_payment"].update(change, telegram_payment_charge_id=charge)
            world.post_update({"update_id": next(_update_ids), "message": message})
            refusal = _t("money_payment_mismatch", charge=charge)
            wait_until(partial(_said, eve, refusal), 30, f"the refusal of the {what} payment")
        wait_until(lambda: len(world.alerts()) >= alerts + len(bad), 30, "an alert per bad payment")
        assert balance(world.db, eve.user) == start + 2 * PACK_CREDITS, "a bad payment was credited"
        assert _payments(world.db, eve.user) == 2 and _payments(world.db, fay.user) == 0

    def test_an_invoice_forwarded_to_another_user_is_refused_at_checkout(self, world: World) -> None:
        """Eve forwards her invoice (sent without start_parameter, so the copy keeps its Pay button) and
        Fay pays it: the checkout carries Eve's signed payload from Fay and is refused before Telegram
        takes Fay's Stars; nobody is credited and the admins are alerted."""
        eve, fay = world.user(), world.user()
        start = balance(world.db, eve.user), balance(world.db, fay.user)
        invoice = _invoice(world, eve, PACK_CREDITS)["message"]
        alerts = len(world.alerts())
        query = world.tg.pay_forwarded_invoice(fay.user, eve.user, invoice["message_id"])[
            "pre_checkout_query"
        ]
        answer = wait_until(
            lambda: next(c for c in world.tg.checkouts() if c["id"] == query["id"] and c["ok"] is not None),
            30,
            "the checkout's answer",
        )
        assert answer["ok"] is False and answer["error_message"] == _t("money_checkout_forged")
        wait_until(lambda: len(world.alerts()) > alerts, 30, "the admins' alert")
        assert (balance(world.db, eve.user), balance(world.db, fay.user)) == start
        assert _payments(world.db, fay.user) == 0 and not _paid_updates(world, fay.user)


# -- refunds -----------------------------------------------------------------------------------


class TestStarRefunds:
    @pytest.mark.parametrize("order", ["at once", "spend first"])
    def test_refund_raced_with_spending_takes_back_only_unspent_credits(
        self, world: World, order: str
    ) -> None:
        """The user holds exactly the purchase and presses Generate as the admin refunds it: either the
        refund wins (Stars back, the generation refused) or the spend does (refund refused, job paid)."""
        gus = world.user()
        world.admin(f"/take {gus.user} {balance(world.db, gus.user)} e2e")
        invoice = _invoice(world, gus, PACK_CREDITS)
        world.tg.pay_invoice(gus.user, invoice["message"]["message_id"])
        wait_until(lambda: balance(world.db, gus.user) == PACK_CREDITS, 30, "the purchase")
        charge = _paid_updates(world, gus.user)[0]["message"]["successful_payment"][
            "telegram_payment_charge_id"
        ]
        confirm = world.confirm(gus, IMAGE, "a race")
        answers: list[str] = []

        def spend() -> None:
            gus.press(confirm["message_id"], gus.data(confirm, prefix="c:", suffix=":g"))

        def refund() -> None:
            answers.append(world.admin(f"/refund {charge}"))

        if order == "at once":
            _at_once(spend, refund)
        else:
            spend()
            wait_until(lambda: jobs_of(world.db, gus.user), 30, "the job")
            refund()
        refunded = _star_refunds(world, charge)
        if answers[0].startswith("Refunded"):
            assert refunded == 1 and not jobs_of(world.db, gus.user) and balance(world.db, gus.user) == 0
            return
        assert answers[0].startswith("Refund of") and refunded == 0, answers
        (job,) = wait_until(lambda: [j for j in jobs_of(world.db, gus.user) if j.task], 30, "the task")
        world.complete(job)
        assert world.settled(gus, job).ledger == ("hold", "capture")
        assert balance(world.db, gus.user) == PACK_CREDITS - job.price

    def test_a_refund_telegram_answered_too_late_finishes_on_the_second_run(self, world: World) -> None:
        """refundStarPayment answers after the bot gave up (Telegram did refund): the credits stay held
        back; /refund again meets CHARGE_ALREADY_REFUNDED and settles; the Stars went back once."""
        hal = world.user()
        start = balance(world.db, hal.user)
        world.tg.pay_invoice(hal.user, _invoice(world, hal, PACK_CREDITS)["message"]["message_id"])
        wait_until(lambda: balance(world.db, hal.user) == start + PACK_CREDITS, 30, "the purchase")
        charge = _paid_updates(world, hal.user)[0]["message"]["successful_payment"][
            "telegram_payment_charge_id"
        ]
        world.tg.add_fault(method="refundStarPayment", kind="slow", delay=SLOW_SEND, count=1)
        assert world.admin(f"/refund {charge}") == _t("admin_refund_pending", charge=charge)
        assert balance(world.db, hal.user) == start
        done = _t("admin_refund_done", charge=charge, id=hal.user, credits=PACK_CREDITS, stars=PACK_STARS)
        assert world.admin(f"/refund {charge}") == done
        assert _star_refunds(world, charge) == 1 and balance(world.db, hal.user) == start
        receipts = sum(str(m.get("text", "")).startswith(RECEIPT) for m in hal.messages())
        world.post_update({**_paid_updates(world, hal.user)[0], "update_id": next(_update_ids)})
        wait_until(
            lambda: sum(str(m.get("text", "")).startswith(RECEIPT) for m in hal.messages()) > receipts,
            30,
            "the answer to the refunded payment's replay",
        )
        assert balance(world.db, hal.user) == start, "a refunded payment, replayed, was credited again"


def _star_refunds(world: World, charge: str) -> int:
    calls = world.tg.calls("refundStarPayment")
    return sum(1 for c in calls if c["status"] == 200 and c["params"]["telegram_payment_charge_id"] == charge)


# -- delivery failures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """Faults on the result's sends, and what the job must end as."""

    faults: tuple[dict[str, Any], ...]
    model: str
    outcome: str  # "photo"/"video"/... captured and delivered as that; "undeliverable"/"unreachable"


REFUSALS = {
    "photo 400 → document": Refusal(({"method": "sendPhoto", "kind": "400"},), IMAGE, "document"),
    "photo and document 400 → link": Refusal(
        ({"method": "sendPhoto", "kind": "400"}, {"method": "sendDocument", "kind": "400"}),
        IMAGE,
        "link",
    ),
    "photo and document 413 → link": Refusal(
        ({"method": "sendPhoto", "kind": "413"}, {"method": "sendDocument", "kind": "413"}),
        IMAGE,
        "link",
    ),
    "photo, document and link 400": Refusal(
        (
            {"method": "sendPhoto", "kind": "400"},
            {"method": "sendDocument", "kind": "400"},
            {"method": "sendMessage", "kind": "400"},
        ),
        IMAGE,
        "undeliverable",
    ),
    "403 blocked": Refusal(({"method": "sendPhoto", "kind": "403"},), IMAGE, "unreachable"),
    "photo 429 flood": Refusal(({"method": "sendPhoto", "kind": "429", "retry_after": 1},), IMAGE, "photo"),
    "video 400 → document": Refusal(({"method": "sendVideo", "kind": "400"},), VIDEO, "document"),
    "audio 400 → document": Refusal(({"method": "sendAudio", "kind": "400"},), MUSIC, "document"),
}


class TestDeliveryFailures:
    @pytest.mark.parametrize("name", list(REFUSALS))
    def test_refused_result_is_sent_another_way_or_refunded(self, world: World, name: str) -> None:
        """Each refusal the Bot API emulator injects: a fallback that reached the chat is captured, a
        result that reached nobody is refunded (told when the chat can be told); never both."""
        refusal = REFUSALS[name]
        ivy = world.user(credits=200 if refusal.model == VIDEO else None)
        job = world.run_job(ivy, refusal.model, f"refused: {name}")
        for fault in refusal.faults:
            world.tg.add_fault(count=1, **fault)
        try:
            world.complete(job)
            settled = world.settled(ivy, job)
        finally:
            world.tg.clear_faults()
        if refusal.outcome in ("undeliverable", "unreachable"):
            assert (settled.state, settled.reason, settled.ledger) == (
                "failed",
                refusal.outcome,
                ("hold", "refund"),
            )
            assert not [m for m in ivy.messages() if _media(m)]
            if refusal.outcome == "undeliverable":
                told = _t(f"failure_{refusal.outcome}", credits=TEXTS.credits(job.price, Language.EN))
                wait_until(
                    lambda: any(m.get("text") == told for m in ivy.messages()), 30, "the refund message"
                )
            return
        assert (settled.state, settled.ledger) == ("succeeded", ("hold", "capture"))
        result = ivy.message(settled.result_message_id or 0)
        assert _media(result) == refusal.outcome
        if refusal.outcome == "link":
            assert _follow_link(result).startswith(b"\x89PNG")  # the webhook redirects to KIE's file

    def test_an_answer_lost_or_failed_is_sent_again_and_captured_once(self, world: World) -> None:
        """sendPhoto answered 500, and another answered after the bot's timeout (Telegram delivered it):
        nothing settles, the poller sends again, each job is captured once with a photo in the chat."""
        walkers = [world.user(), world.user()]
        jobs = [world.run_job(w, IMAGE, "sent again") for w in walkers]
        faults: list[dict[str, Any]] = [{"kind": "500"}, {"kind": "slow", "delay": SLOW_SEND}]
        for job, fault in zip(jobs, faults, strict=True):
            world.tg.add_fault(method="sendPhoto", count=1, **fault)
            world.complete(job)
            wait_until(partial(_deferred, world, job), 30, f"the first send's {fault['kind']}")
        for walker, job in zip(walkers, jobs, strict=True):
            settled = world.settled(walker, job)
            assert (settled.state, settled.ledger) == ("succeeded", ("hold", "capture"))
            assert _media(walker.message(settled.result_message_id or 0)) == "photo"

    def test_a_user_banned_while_the_job_runs_gets_nothing_and_pays_nothing(self, world: World) -> None:
        """/ban while KIE generates: the result is neither delivered nor captured, the hold comes back."""
        ned = world.user()
        job = world.run_job(ned, IMAGE, "banned meanwhile")
        assert world.admin(f"/ban {ned.user}") == _t("admin_banned_done", id=ned.user)
        world.complete(job)
        settled = world.settled(ned, job)
        assert (settled.state, settled.reason, settled.ledger) == ("failed", "banned", ("hold", "refund"))
        assert not [m for m in ned.messages() if _media(m)]


def _deferred(world: World, job: Job) -> bool:
    """The finisher gave up on the job's delivery for now (`job_delivery_deferred` in the jobs log)."""
    lines = world.system.logs().get("jobs.log", "").splitlines()
    events = (json.loads(line) for line in lines if line.startswith("{") and job.id in line)
    return any(event.get("event") == "job_delivery_deferred" for event in events)


# -- the books -----------------------------------------------------------------------------------


_USERS = (
    "SELECT id, balance, (SELECT coalesce(sum(amount), 0) FROM ledger l WHERE l.user_id = u.id) FROM users u"
)
_ALL_JOBS = """
SELECT user_id, chat_id, model_id, kie_task_id, state, settlement, error_code, price_credits,
       result_message_id, kie_credits_consumed,
       (SELECT count(*) FROM ledger l WHERE l.job_id = j.id AND l.kind = 'capture'),
       (SELECT count(*) FROM ledger l WHERE l.job_id = j.id AND l.kind = 'refund')
FROM jobs j
"""
TELEGRAM_REFUSED = {"undeliverable", "unreachable", "banned"}
"""Refunds after KIE charged: Telegram refused the result, or the user was banned (docs/money.md §2)."""


class TestTheBooks:
    def test_every_user_paid_for_what_kie_charged_and_got_what_was_captured(self, world: World) -> None:
        """Over the whole module, from KIE's and Telegram's own records: KIE's charge × markup ≤ the
        credits captured, per user (Telegram-refused results aside, which are the documented cost);
        every capture has its result in the chat; every balance is the sum of its ledger."""
        with psycopg.connect(world.db) as conn:
            users = conn.execute(_USERS).fetchall()
            jobs = conn.execute(_ALL_JOBS).fetchall()
        assert users and all(bal == total and bal >= 0 for _, bal, total in users), users
        tasks = {t["taskId"]: Decimal(str(t["creditsConsumed"])) for t in world.kie("tasks")}
        ours = {row[3] for row in jobs if row[3]}
        assert set(tasks) <= ours, f"KIE tasks no job knows of: {set(tasks) - ours}"
        consumed: dict[int, Decimal] = {}
        captured: dict[int, int] = {}
        uncovered = Decimal(0)
        for (
            user,
            chat,
            model,
            task,
            state,
            settlement,
            reason,
            price,
            message_id,
            stored,
            captures,
            refunds,
        ) in jobs:
            assert settlement is not None and captures + refunds == 1, (user, task, state)
            cost = tasks.get(task, Decimal(0))
            if model != MUSIC:  # Suno's record-info carries no creditsConsumed: nothing to store
                assert (stored or 0) == cost, f"job of task {task}: stored KIE cost {stored}, KIE says {cost}"
            if captures:
                captured[user] = captured.get(user, 0) + price
                consumed[user] = consumed.get(user, Decimal(0)) + cost
                delivered = {m["message_id"]: m for m in world.tg.bot_messages(chat)}
                assert message_id in delivered and _media(delivered[message_id]), (
                    f"captured, not delivered: {task}"
                )
            elif cost:
                assert reason in TELEGRAM_REFUSED, f"KIE charged {cost} for task {task}, refunded as {reason}"
                uncovered += cost
        for user, cost in consumed.items():
            assert cost * MARKUP <= captured[user], f"user {user}: KIE {cost} × {MARKUP} > {captured[user]}"
        refused = [row for row in jobs if row[6] in TELEGRAM_REFUSED]
        print(f"kie_spend_uncovered={uncovered} on {len(refused)} jobs, captured={sum(captured.values())}")
        assert uncovered == sum(tasks[row[3]] for row in refused)
        _money_report_agrees(world, len(refused))


def _money_report_agrees(world: World, refused: int) -> None:
    """`make money-report`'s own reading of the books: each Telegram-refused job flagged, nothing else,
    and the Suno job (whose record states no cost) counted as such."""
    env = {**world.system.env, "DATABASE_URL": world.db}
    report = subprocess.run(
        [sys.executable, "-m", "shared.ops.money_report"], env=env, capture_output=True, text=True, timeout=60
    )
    assert report.returncode == (1 if refused else 0), report.stdout + report.stderr
    lines = report.stdout.splitlines()
    assert sum(line.startswith("FLAG charged nothing:") for line in lines) == refused, report.stdout
    assert not [line for line in lines if line.startswith("FLAG") and "charged nothing:" not in line]
    music = [line.split() for line in lines if line.startswith(f"{MUSIC} ")]
    assert all(line[-1] == line[1] for line in music), report.stdout  # every Suno job: cost unknown
