"""Money through the real programs: Stars top-up then generation, duplicate payments, refunds, broadcast.

The bot runs under supervisord with two workers, the Bot API emulator and the KIE emulator. Payments
are made the way Telegram makes them (invoice → pre_checkout_query → successful_payment), and
repeats of a payment are injected by POSTing its update to the webhook again, with the secret, under
new update ids, at once (so both workers may take them).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from shared.chat.texts import Language, Texts
from tests.conftest import free_port
from tests.e2e.emulators import kie_system_env
from tests.e2e.system import WEBHOOK_SECRET, System, migrate, prepare_home, start, wait_until
from tests.e2e.telegram_control import TelegramControl
from tests.e2e.test_bot_flows import KIE_KEY, Walker, _kie_url, balance, kie_control, kie_task_of

pytestmark = pytest.mark.e2e

__all__ = ["_kie_url"]

ADMIN_ID = 6_100_000_001
REPO = Path(__file__).resolve().parents[2]
TEXTS = Texts()
BROADCAST_USERS = 500


def _t(key: str, **values: object) -> str:
    return TEXTS.get(key, Language.EN, **values)


@pytest.fixture(name="money_system")
def _money_system(
    xprocess: Any, tmp_path: Path, system_env_factory: Any, kie_url: str, telegram: TelegramControl
) -> Iterator[System]:
    port = free_port()
    env = system_env_factory(
        **kie_system_env(port, kie_url, KIE_KEY),
        ADMIN_IDS=str(ADMIN_ID),
        PRICE_MARKUP="1.5",
        CREDIT_PACKS="100:50,500:225",
        BROADCAST_RATE_PER_SECOND="60",
    )
    migrate(env)

    def ready(system: System) -> bool:  # the first update of a test must not wait for setWebhook
        return system.all_running() and f":{port}/" in str(telegram.webhook()["info"]["url"])

    yield from start(xprocess, prepare_home(tmp_path), port, env, ready=ready)


def _post_update(system: System, update: dict[str, Any]) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{system.port}/telegram/webhook",
        data=json.dumps(update).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def _payment_update(telegram: TelegramControl, user: int) -> dict[str, Any]:
    for update in reversed(telegram.updates()):
        message = update.get("message") or {}
        if message.get("chat", {}).get("id") == user and "successful_payment" in message:
            return {"update_id": update["update_id"], "message": message}
    raise AssertionError("no successful_payment update")


def _receipts(walker: Walker) -> int:
    return sum(1 for m in walker.messages() if (m.get("text") or "").startswith("✅ Payment received"))


def _payments(database_url: str, user: int) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM payments WHERE user_id = %s", (user,)).fetchone()
    assert row is not None
    return int(row[0])


class _Admin:
    def __init__(self, telegram: TelegramControl) -> None:
        self.telegram = telegram
        if ADMIN_ID not in telegram.user_ids():  # the emulator lives for the whole module
            telegram.create_user_as("Admin", ADMIN_ID, "en")

    def say(self, text: str) -> str:
        count = len(self.telegram.bot_messages(ADMIN_ID))
        self.telegram.send_text(ADMIN_ID, text)
        wait_until(lambda: len(self.telegram.bot_messages(ADMIN_ID)) > count, 30, f"the answer to {text!r}")
        return str(self.telegram.bot_messages(ADMIN_ID)[-1]["text"])


class TestSupport:
    def test_ticket_goes_user_to_admin_and_back(
        self, money_system: System, telegram: TelegramControl, database_url: str
    ) -> None:
        """RU user: /support → question → the admin's card → the admin replies → the user reads it."""
        admin = _Admin(telegram)
        vera = Walker(telegram, Language.RU)
        vera.text("/start")
        vera.text("/support")
        count = len(telegram.bot_messages(ADMIN_ID))
        vera.text("Оплатила звёздами, кредиты не пришли")
        card = wait_until(lambda: telegram.bot_messages(ADMIN_ID)[count:], 30, "the ticket card")[-1]
        assert "Оплатила звёздами" in card["text"] and f"id {vera.user}" in card["text"]
        ticket = card["text"].split("#", 1)[1].split(" ", 1)[0]
        assert f"#{ticket} · user {vera.user}" in admin.say("/admin")

        before = len(vera.messages())
        telegram.send_text(ADMIN_ID, "Проверили, начислили", reply_to=card["message_id"])
        wait_until(lambda: len(vera.messages()) > before, 30, "the answer in the user's chat")
        assert vera.last()["text"] == TEXTS.get("support_answer", Language.RU, text="Проверили, начислили")
        delivered = _t("support_delivered", user_id=vera.user, ticket=ticket)
        wait_until(
            lambda: telegram.bot_messages(ADMIN_ID)[-1]["text"] == delivered, 30, "the admin's receipt"
        )
        assert admin.say(f"/close {ticket}") == _t("support_closed", ticket=ticket)


class TestStarsTopUp:
    def test_low_balance_buy_pay_then_generate_with_repeats_and_refunds(
        self, money_system: System, telegram: TelegramControl, database_url: str
    ) -> None:
        """Too little → Buy → pack → Stars → Continue; repeats credit once; a spent refund is refused."""
        admin = _Admin(telegram)
        ann = Walker(telegram, Language.EN)
        ann.text("/start")
        admin.say(f"/take {ann.user} {balance(database_url, ann.user) - 1} test setup")
        ann.open_model("text-to-image", "z-image")
        ann.keep_defaults_until_input()
        ann.text("a red bicycle")
        confirm = ann.last()
        assert f"Price: {TEXTS.credits(2, Language.EN)}" in confirm["text"]  # 1 KIE credit × 1.5, rounded up
        ann.press(confirm["message_id"], ann.data(confirm, prefix="c:", suffix=":g"))
        refusal = _t(
            "gen_insufficient", price=TEXTS.credits(2, Language.EN), balance=TEXTS.credits(1, Language.EN)
        )
        wait_until(lambda: ann.last()["text"] == refusal, 30, "the refusal")

        actions = ann.actions
        ann.press(ann.last()["message_id"], ann.data(ann.last(), prefix="by:n"))  # Buy, on the refusal
        ann.press(ann.last()["message_id"], "by:100")  # the smallest pack covering the shortfall
        invoice = wait_until(lambda: [m for m in ann.messages() if "invoice" in m], 30, "the invoice")[0]
        telegram.pay_invoice(ann.user, invoice["message_id"])
        wait_until(lambda: _receipts(ann) == 1, 30, "the receipt")
        assert balance(database_url, ann.user) == 101

        paid = _payment_update(telegram, ann.user)
        assert _post_update(money_system, paid) == 200  # the same update id again: dropped at ingress
        copies = [{**paid, "update_id": paid["update_id"] + 100_000 + i} for i in range(2)]
        threads = [threading.Thread(target=_post_update, args=(money_system, copy)) for copy in copies]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wait_until(lambda: _receipts(ann) == 3, 30, "receipts for both repeats")
        assert balance(database_url, ann.user) == 101 and _payments(database_url, ann.user) == 1

        receipt = next(m for m in ann.messages() if (m.get("text") or "").startswith("✅ Payment received"))
        ann.press(receipt["message_id"], ann.data(receipt, prefix="c:", suffix=":g"))  # ▶ Continue
        assert ann.actions - actions == 3  # Buy, pack, Continue (paying is the payment form's own tap)
        ann.wait_for_media("photo")
        wait_until(lambda: balance(database_url, ann.user) == 99, 30, "the captured price")
        # The admin's money report: the KIE emulator charges 4 credits for a picture whose KIE price it
        # has no page for (its stand-in, not KIE's price), more than the 2 Ann paid, so the job is flagged.
        report = admin.say("/money")
        assert report.startswith("💰") and "z-image: 1 jobs · paid 2 · KIE 4 · margin -2" in report
        assert "z-image: KIE cost above the price" in report

        charge = paid["message"]["successful_payment"]["telegram_payment_charge_id"]
        assert admin.say(f"/refund {charge}") == _t(
            "admin_refund_spent", charge=charge, balance=99, credits=100
        )
        admin.say(f"/grant {ann.user} 1 goodwill")
        answer = admin.say(f"/refund {charge}")
        assert answer == _t("admin_refund_done", charge=charge, id=ann.user, credits=100, stars=50)
        assert balance(database_url, ann.user) == 0
        assert [c for c in telegram.calls("refundStarPayment") if c["status"] == 200]


def _kie_credits(kie_url: str) -> float:
    with urllib.request.urlopen(f"{kie_url}/_emulator/credits", timeout=10) as response:
        return float(json.load(response)["result"][KIE_KEY])


def _job_row(database_url: str, task_id: str) -> tuple[str, int, list[str]]:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT j.state, j.price_credits,"
            " array(SELECT kind FROM ledger l WHERE l.job_id = j.id ORDER BY id)"
            " FROM jobs j WHERE kie_task_id = %s",
            (task_id,),
        ).fetchone()
    assert row is not None
    return str(row[0]), int(row[1]), list(row[2])


class TestUnderpaidPayment:
    def test_underpaid_payment_with_a_real_payload_credits_nothing_and_alerts(
        self, money_system: System, telegram: TelegramControl, database_url: str
    ) -> None:
        """A successful_payment of 1 Star carrying a real 50-Star invoice's payload: nothing credited."""
        admin = _Admin(telegram)
        bob = Walker(telegram, Language.EN)
        telegram.send_text(bob.user, "/start")
        wait_until(bob.messages, 120, "the welcome (the first update waits for the webhook to be set)")
        bob.text("/buy")
        start = balance(database_url, bob.user)
        bob.press(bob.last()["message_id"], "by:100")
        invoice = wait_until(lambda: [m for m in bob.messages() if "invoice" in m], 30, "the invoice")[0]
        telegram.pay_invoice(bob.user, invoice["message_id"])
        wait_until(lambda: _receipts(bob) == 1, 30, "the receipt")
        paid = _payment_update(telegram, bob.user)
        message = json.loads(json.dumps(paid["message"]))
        charge = f"under-{uuid.uuid4().hex[:12]}"
        message["successful_payment"].update(total_amount=1, telegram_payment_charge_id=charge)
        alerts = len(telegram.bot_messages(ADMIN_ID))
        assert (
            _post_update(money_system, {"update_id": paid["update_id"] + 200_000, "message": message}) == 200
        )
        wait_until(lambda: charge in bob.last().get("text", ""), 30, "the polite refusal")
        assert bob.last()["text"] == _t("money_payment_mismatch", charge=charge)
        assert balance(database_url, bob.user) == start + 100 and _payments(database_url, bob.user) == 1
        alert = wait_until(lambda: telegram.bot_messages(ADMIN_ID)[alerts:], 30, "the admins' alert")[0]
        assert "money check failed" in alert["text"] and charge in alert["text"]
        assert admin.telegram is telegram


class TestCancelAfterSubmission:
    def test_stop_waiting_keeps_the_charge_and_still_delivers(
        self, money_system: System, telegram: TelegramControl, database_url: str, kie_url: str
    ) -> None:
        """Cancel once KIE has the task: no refund, the honest message, and the video still arrives."""
        eve = Walker(telegram, Language.EN)
        telegram.send_text(eve.user, "/start")
        wait_until(eve.messages, 120, "the welcome (the first update waits for the webhook to be set)")
        eve.open_model("text-to-video", "sora-2-text-to-video")
        eve.keep_defaults_until_input()
        eve.text("a slow tide")
        progress = eve.generate()
        start = balance(database_url, eve.user)
        task = wait_until(lambda: kie_task_of(database_url, eve.user), 30, "KIE accepting the task")
        _, price, _ = _job_row(database_url, task)
        kie_before = _kie_credits(kie_url)
        eve.press(progress["message_id"], eve.data(progress, prefix="j:", suffix=":x"))
        assert _t("job_stop_waiting", credits=TEXTS.credits(price, Language.EN)) in eve.last()["text"]
        kie_control(kie_url, f"tasks/{task}/complete", {})
        video = eve.wait_for_media("video")
        assert video["caption"]
        wait_until(lambda: _job_row(database_url, task)[0] == "succeeded", 30, "the capture")
        assert _job_row(database_url, task)[2] == ["hold", "capture"]
        assert balance(database_url, eve.user) == start
        kie_charged = kie_before - _kie_credits(kie_url)
        assert kie_charged > 0  # KIE charged the operator for the task the user stopped waiting for
        report = subprocess.run(
            ["make", "-s", "money-report"],
            cwd=REPO,
            env={**os.environ, "DATABASE_URL": database_url},
            capture_output=True,
            text=True,
            timeout=120,
        )
        sora = next(line for line in report.stdout.splitlines() if line.startswith("sora-2-text-to-video"))
        jobs, captured, kie_used, margin = sora.split()[1:5]
        assert (int(jobs), int(captured)) == (1, price)
        assert float(kie_used) == kie_charged and float(margin) == price - kie_charged  # reconciles with KIE
        flagged = kie_charged > price  # the report's rule: KIE's cost above what the user paid
        assert report.returncode == (2 if flagged else 0), report.stdout + report.stderr  # make: 1 -> 2
        assert ("FLAG KIE cost above the price" in report.stdout) == flagged


class TestBroadcast:
    def test_broadcast_interrupted_by_a_bot_restart_messages_everyone_once(
        self, money_system: System, telegram: TelegramControl, database_url: str
    ) -> None:
        """500 users; `restart bot:*` mid-way; the admin gets the counts and each user got one message."""
        admin = _Admin(telegram)
        base = random.randrange(3 * 10**10, 4 * 10**10)
        users = [telegram.create_user_as(f"U{i}", base + i, "en") for i in range(BROADCAST_USERS)]
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.cursor().executemany("INSERT INTO users (id) VALUES (%s)", [(u,) for u in users])
        text = f"News {uuid.uuid4().hex[:8]}"

        def sent() -> list[dict[str, Any]]:
            return [c for c in telegram.calls("sendMessage") if c["params"].get("text") == text]

        admin.say(f"/broadcast {text}")
        wait_until(lambda: len(sent()) >= 100, 60, "the first 100 messages")
        assert len(sent()) < BROADCAST_USERS, "the broadcast ended before the restart could interrupt it"
        restarted = money_system.ctl("restart", "bot:*")
        assert restarted.returncode == 0, restarted.stdout + restarted.stderr
        report = wait_until(
            lambda: [m for m in telegram.bot_messages(ADMIN_ID) if "finished" in (m.get("text") or "")],
            120,
            "the broadcast report",
        )[0]["text"]
        per_user: dict[int, int] = {}
        for call in sent():
            if call["status"] == 200:
                chat = int(call["params"]["chat_id"])
                per_user[chat] = per_user.get(chat, 0) + 1
        assert all(per_user.get(user) == 1 for user in users), "a user got no message or two"
        delivered = int(report.split(": ", 1)[1].split(" delivered")[0])
        assert delivered >= BROADCAST_USERS
