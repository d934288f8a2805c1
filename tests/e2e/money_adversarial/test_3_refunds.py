"""Star refunds raced with spending, and one whose answer Telegram lost."""

from __future__ import annotations

import pytest

from tests.e2e.money_adversarial.world import (
    IMAGE,
    PACK_CREDITS,
    PACK_STARS,
    RECEIPT,
    SLOW_SEND,
    World,
    at_once,
    invoice,
    jobs_of,
    paid_updates,
    t,
    update_ids,
)
from tests.e2e.system import wait_until
from tests.e2e.test_bot_flows import balance

pytestmark = pytest.mark.e2e


class TestStarRefunds:
    @pytest.mark.parametrize("order", ["at once", "spend first"])
    def test_refund_raced_with_spending_takes_back_only_unspent_credits(
        self, world: World, order: str
    ) -> None:
        """The user holds exactly the purchase and presses Generate as the admin refunds it: either the
        refund wins (Stars back, the generation refused) or the spend does (refund refused, job paid)."""
        gus = world.user()
        world.admin(f"/take {gus.user} {balance(world.db, gus.user)} e2e")
        sent = invoice(world, gus, PACK_CREDITS)
        world.tg.pay_invoice(gus.user, sent["message"]["message_id"])
        wait_until(lambda: balance(world.db, gus.user) == PACK_CREDITS, 30, "the purchase")
        charge = paid_updates(world, gus.user)[0]["message"]["successful_payment"][
            "telegram_payment_charge_id"
        ]
        confirm = world.confirm(gus, IMAGE, "a race")
        answers: list[str] = []

        def spend() -> None:
            gus.press(confirm["message_id"], gus.data(confirm, prefix="c:", suffix=":g"))

        def refund() -> None:
            answers.append(world.admin(f"/refund {charge}"))

        if order == "at once":
            at_once(spend, refund)
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
        world.tg.pay_invoice(hal.user, invoice(world, hal, PACK_CREDITS)["message"]["message_id"])
        wait_until(lambda: balance(world.db, hal.user) == start + PACK_CREDITS, 30, "the purchase")
        charge = paid_updates(world, hal.user)[0]["message"]["successful_payment"][
            "telegram_payment_charge_id"
        ]
        world.tg.add_fault(method="refundStarPayment", kind="slow", delay=SLOW_SEND, count=1)
        assert world.admin(f"/refund {charge}") == t("admin_refund_pending", charge=charge)
        assert balance(world.db, hal.user) == start
        done = t("admin_refund_done", charge=charge, id=hal.user, credits=PACK_CREDITS, stars=PACK_STARS)
        assert world.admin(f"/refund {charge}") == done
        assert _star_refunds(world, charge) == 1 and balance(world.db, hal.user) == start
        receipts = sum(str(m.get("text", "")).startswith(RECEIPT) for m in hal.messages())
        world.post_update({**paid_updates(world, hal.user)[0], "update_id": next(update_ids)})
        wait_until(
            lambda: sum(str(m.get("text", "")).startswith(RECEIPT) for m in hal.messages()) > receipts,
            30,
            "the answer to the refunded payment's replay",
        )
        assert balance(world.db, hal.user) == start, "a refunded payment, replayed, was credited again"


def _star_refunds(world: World, charge: str) -> int:
    calls = world.tg.calls("refundStarPayment")
    return sum(1 for c in calls if c["status"] == 200 and c["params"]["telegram_payment_charge_id"] == charge)
