"""Payments replayed, raced, underpaid, forwarded, in another currency: exactly what was paid."""

from __future__ import annotations

import copy
import uuid
from functools import partial

import psycopg
import pytest

from tests.e2e.money_adversarial.world import (
    BIG_PACK_CREDITS,
    BIG_PACK_STARS,
    PACK_CREDITS,
    RECEIPT,
    World,
    at_once,
    invoice,
    paid_updates,
    t,
    update_ids,
)
from tests.e2e.system import wait_until
from tests.e2e.test_bot_flows import Walker, balance

pytestmark = pytest.mark.e2e


def _said(walker: Walker, text: str) -> bool:
    return any(m.get("text") == text for m in walker.messages())


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
        first, second = invoice(world, eve, PACK_CREDITS), invoice(world, eve, PACK_CREDITS)
        at_once(
            *(lambda m=i: world.tg.pay_invoice(eve.user, m["message"]["message_id"]) for i in (first, second))
        )
        wait_until(lambda: len(paid_updates(world, eve.user)) == 2, 30, "both payments")
        wait_until(lambda: balance(world.db, eve.user) == start + 2 * PACK_CREDITS, 30, "both credited")

        paid = paid_updates(world, eve.user)[0]
        replays = [{**paid, "update_id": next(update_ids)} for _ in range(2)]
        at_once(*(lambda r=r: world.post_update(r) for r in replays))
        wait_until(
            lambda: sum(str(m.get("text", "")).startswith(RECEIPT) for m in eve.messages()) >= 4,
            30,
            "receipts for the replays",
        )
        assert balance(world.db, eve.user) == start + 2 * PACK_CREDITS and _payments(world.db, eve.user) == 2

        big = invoice(world, eve, BIG_PACK_CREDITS)["payload"]
        foreign = invoice(world, fay, PACK_CREDITS)["payload"]
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
            world.post_update({"update_id": next(update_ids), "message": message})
            refusal = t("money_payment_mismatch", charge=charge)
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
        sent = invoice(world, eve, PACK_CREDITS)["message"]
        alerts = len(world.alerts())
        query = world.tg.pay_forwarded_invoice(fay.user, eve.user, sent["message_id"])["pre_checkout_query"]
        answer = wait_until(
            lambda: next(c for c in world.tg.checkouts() if c["id"] == query["id"] and c["ok"] is not None),
            30,
            "the checkout's answer",
        )
        assert answer["ok"] is False and answer["error_message"] == t("money_checkout_forged")
        wait_until(lambda: len(world.alerts()) > alerts, 30, "the admins' alert")
        assert (balance(world.db, eve.user), balance(world.db, fay.user)) == start
        assert _payments(world.db, fay.user) == 0 and not paid_updates(world, fay.user)
