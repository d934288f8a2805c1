"""The money layer through the bot's handlers, against the Bot API emulator, real Redis and PostgreSQL."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import uuid

import pytest
from psycopg_pool import AsyncConnectionPool

from emulators.telegram.model import Update as EmulatedUpdate
from emulators.telegram.model import UpdateKind
from services.bot.money.deps import MoneyDeps
from shared.chat.texts import Language, Texts
from shared.money import encode_code
from shared.ops.alerts import AlertKind, AlertLog
from tests.services.bot.harness import BotHarness, button_data
from tests.services.bot.money.conftest import ADMIN_ID, BONUS, MESSAGES_PER_MINUTE, PACKS, SIGNER

TEXTS = Texts()
Bot = tuple[BotHarness, MoneyDeps]


def _t(key: str, **values: object) -> str:
    return TEXTS.get(key, Language.EN, **values)


async def _buy(bot: BotHarness, user: int, pack_credits: int = 100) -> str:
    """The user opens /buy, presses a pack and pays; returns the charge id."""
    await bot.text(user, "/buy")
    await bot.press(user, bot.last(user).message_id, button_data(bot.last(user), f"by:{pack_credits}"))
    invoice = bot.last(user)
    await bot.deliver(bot.telegram.pay_invoice(user, invoice.message_id))
    paid = _last_payment(bot, user)
    await bot.deliver(paid)
    return str(paid.payload["successful_payment"]["telegram_payment_charge_id"])


def _last_payment(bot: BotHarness, user: int) -> EmulatedUpdate:
    updates = bot.telegram.bot().updates
    return next(
        u
        for u in reversed(updates)
        if u.kind is UpdateKind.MESSAGE
        and "successful_payment" in u.payload
        and u.payload["chat"]["id"] == user
    )


async def _balance(bot: BotHarness, user: int) -> int:
    return await bot.deps.ledger.balance(user)


class TestStarsPurchase:
    async def test_pack_is_invoiced_in_stars_and_credited(self, bot: Bot) -> None:
        """/buy → a pack → an XTR invoice with no provider token → paid → credits and a receipt."""
        harness, _ = bot
        user = harness.new_user()
        await harness.text(user, "/start")
        start = await _balance(harness, user)
        await _buy(harness, user)
        invoice = harness.telegram.calls_of("sendInvoice", ok=True)[-1].params
        assert invoice["currency"] == "XTR" and invoice["payload"] == SIGNER.payload(PACKS[0], user)
        assert not invoice.get("provider_token")
        assert await _balance(harness, user) == start + 100
        assert "Payment received" in harness.last(user).text

    async def test_start_buy_link_welcomes_then_shows_the_packs(self, bot: Bot) -> None:
        """t.me/<bot>?start=buy (an inline message's Buy credits): the welcome, then the packs to press."""
        harness, _ = bot
        user = harness.new_user()
        await harness.text(user, "/start buy")
        welcome, packs = harness.replies(user)[-2:]
        assert welcome.text is not None and welcome.text.startswith(_t("welcome", name="Ann", balance="")[:8])
        assert button_data(packs, "by:100")
        assert await _balance(harness, user) > 0, "the welcome gift came with it"

    async def test_repeated_and_concurrent_delivery_credits_once(self, bot: Bot) -> None:
        """The same successful_payment handled again, and twice at once, adds the credits once."""
        harness, _ = bot
        user = harness.new_user()
        await harness.text(user, "/start")
        start = await _balance(harness, user)
        await _buy(harness, user)
        paid = _last_payment(harness, user)
        await harness.deliver(paid)
        await asyncio.gather(harness.deliver(paid), harness.deliver(paid))
        assert await _balance(harness, user) == start + 100

    async def test_refund_reverses_the_credits(self, bot: Bot) -> None:
        """/refund by an admin returns the Stars and takes the purchase's credits back, once."""
        harness, _ = bot
        user = harness.new_user()
        await harness.text(user, "/start")
        start = await _balance(harness, user)
        charge = await _buy(harness, user)
        await harness.text(ADMIN_ID, f"/refund {charge}")
        refund = harness.telegram.calls_of("refundStarPayment", ok=True)[-1].params
        assert refund["telegram_payment_charge_id"] == charge
        assert await _balance(harness, user) == start
        await harness.text(ADMIN_ID, f"/refund {charge}")
        assert harness.last(ADMIN_ID).text == _t("admin_refund_already", charge=charge)

    async def test_refund_of_spent_credits_is_refused_with_the_reason(self, bot: Bot) -> None:
        """When the balance is below the purchase's credits, the refund is refused and nothing changes."""
        harness, _ = bot
        user = harness.new_user()
        await harness.text(user, "/start")
        charge = await _buy(harness, user)
        balance = await _balance(harness, user)
        await harness.text(ADMIN_ID, f"/take {user} {balance - 40} spent on generations")
        await harness.text(ADMIN_ID, f"/refund {charge}")
        assert harness.last(ADMIN_ID).text == _t("admin_refund_spent", charge=charge, balance=40, credits=100)
        assert await _balance(harness, user) == 40
        assert not harness.telegram.calls_of("refundStarPayment")


def _altered(update: EmulatedUpdate, **changes: object) -> EmulatedUpdate:
    """A copy of a payment update (new update id) with fields of its payment or query changed."""
    payload = copy.deepcopy(update.payload)
    target = payload.get("successful_payment", payload)
    target.update(changes)
    return dataclasses.replace(update, update_id=update.update_id + 10**6, payload=payload)


def _admin_alerts(bot: BotHarness) -> list[str]:
    return [
        m.text or "" for m in bot.telegram.bot().messages(ADMIN_ID) if "money check failed" in (m.text or "")
    ]


class TestPaymentChecks:
    @pytest.mark.parametrize(
        "changes",
        [
            {"total_amount": 1},
            {"currency": "USD"},
            {"invoice_payload": "pack:500:225"},
            {"invoice_payload": SIGNER.payload(PACKS[1], 1)},
        ],
    )
    async def test_mismatched_successful_payment_credits_nothing_and_alerts(
        self, bot: Bot, changes: dict[str, object]
    ) -> None:
        """Underpaid, other currency, unsigned or foreign payload: no credit, a polite line, an alert."""
        harness, money = bot
        user = harness.new_user()
        await harness.text(user, "/start")
        start = await _balance(harness, user)
        await _buy(harness, user)
        forged = _altered(
            _last_payment(harness, user), telegram_payment_charge_id=f"forged-{user}", **changes
        )
        await harness.deliver(forged)
        assert await _balance(harness, user) == start + 100
        assert harness.last(user).text == _t("money_payment_mismatch", charge=f"forged-{user}")
        assert await money.payments.get(f"forged-{user}") is None
        assert any(str(user) in text for text in _admin_alerts(harness))
        recorded = await AlertLog(money.redis, money.keys).recent(5)
        assert any(a.kind is AlertKind.MONEY and f"forged-{user}" in a.reason for a in recorded)

    async def test_tampered_checkout_is_refused_and_alerted(self, bot: Bot) -> None:
        """A pre_checkout_query for 1 Star against a 50-Star invoice is refused politely and alerted."""
        harness, _ = bot
        user = harness.new_user()
        await harness.text(user, "/buy")
        await harness.press(user, harness.last(user).message_id, button_data(harness.last(user), "by:100"))
        query = harness.telegram.pay_invoice(user, harness.last(user).message_id)
        await harness.deliver(_altered(query, total_amount=1))
        answer = harness.telegram.calls_of("answerPreCheckoutQuery", ok=True)[-1].params
        assert answer["ok"] in (False, "false") and answer["error_message"] == _t(
            "money_checkout_wrong_amount"
        )
        assert any(str(user) in text for text in _admin_alerts(harness))


class TestReferralsAndPromos:
    async def test_referral_pays_both_once_after_the_first_purchase(self, bot: Bot) -> None:
        """A friend who came by a ref link pays: both get the bonus; a second purchase pays no bonus."""
        harness, _ = bot
        referrer, friend = harness.new_user(), harness.new_user()
        await harness.text(referrer, "/start")
        await harness.text(friend, f"/start ref_{encode_code(referrer)}")
        await harness.text(friend, f"/start ref_{encode_code(friend)}")
        before_referrer, before_friend = await _balance(harness, referrer), await _balance(harness, friend)
        await _buy(harness, friend)
        await _buy(harness, friend)
        assert await _balance(harness, referrer) == before_referrer + BONUS
        assert await _balance(harness, friend) == before_friend + 200 + BONUS

    async def test_promo_past_its_limit_is_refused(self, bot: Bot) -> None:
        """A one-use code works once; the next user is told it is used up, and a repeat is refused."""
        harness, _ = bot
        first, second = harness.new_user(), harness.new_user()
        for user in (first, second):
            await harness.text(user, "/start")
        await harness.text(ADMIN_ID, "/promo_new GIFT10 10 1 7")
        await harness.text(first, "/promo gift10")
        assert harness.last(first).text.startswith("🎁 Code accepted: +10 credits")
        await harness.text(first, "/promo GIFT10")
        assert harness.last(first).text == _t("money_promo_already_used")
        await harness.text(second, "/promo GIFT10")
        assert harness.last(second).text == _t("money_promo_exhausted")


class TestAdminOnce:
    async def test_command_for_another_bot_is_ignored(self, bot: Bot) -> None:
        """/grant@OtherBot changes nothing and gets no answer; /grant@<this bot> works."""
        harness, _ = bot
        user = harness.new_user()
        await harness.text(user, "/start")
        start, answers = await _balance(harness, user), len(harness.replies(ADMIN_ID))
        await harness.deliver(harness.telegram.send_text(ADMIN_ID, f"/grant@OtherBot {user} 10 gift"))
        assert await _balance(harness, user) == start and len(harness.replies(ADMIN_ID)) == answers
        me = harness.application.bot.username
        await harness.text(ADMIN_ID, f"/grant@{me} {user} 10 gift")
        assert await _balance(harness, user) == start + 10

    async def test_broadcast_update_handled_twice_makes_one_broadcast(
        self, bot: Bot, pool: AsyncConnectionPool
    ) -> None:
        """The same /broadcast update handled again finds its broadcast instead of making a second."""
        harness, _ = bot
        text = f"news {uuid.uuid4().hex[:8]}"
        update = harness.telegram.send_text(ADMIN_ID, f"/broadcast {text}")
        await harness.deliver(update)
        await harness.deliver(update)
        async with pool.connection() as conn:
            row = await (
                await conn.execute("SELECT count(*) FROM broadcasts WHERE text = %s", (text,))
            ).fetchone()
        assert row is not None and row[0] == 1


class TestLimitsAndAdmin:
    async def test_message_flood_is_refused_politely_once(self, bot: Bot) -> None:
        """Past the per-minute allowance the user is asked to slow down, once, and nothing else runs."""
        harness, _ = bot
        user = harness.new_user()
        for _ in range(MESSAGES_PER_MINUTE + 3):
            await harness.text(user, "/help")
        texts = [m.text for m in harness.replies(user)]
        assert texts.count(_t("money_slow_down")) == 1
        assert len(texts) == MESSAGES_PER_MINUTE + 1

    async def test_banned_user_gets_one_polite_line(self, bot: Bot) -> None:
        """After /ban the user's messages get the ban line once and nothing else; /unban restores."""
        harness, _ = bot
        user = harness.new_user()
        await harness.text(user, "/start")
        await harness.text(ADMIN_ID, f"/ban {user}")
        count = len(harness.replies(user))
        await harness.text(user, "/start")
        await harness.text(user, "/buy")
        replies = [m.text for m in harness.replies(user)[count:]]
        assert replies == [_t("money_banned")]
        await harness.text(ADMIN_ID, f"/unban {user}")
        await harness.text(user, "/paysupport")
        assert harness.last(user).text == _t("money_paysupport", user_id=user)

    async def test_admin_commands_work_for_admins_and_are_help_for_others(self, bot: Bot) -> None:
        """Each admin command answers the admin; for anyone else it is an unknown command: the help."""
        harness, _ = bot
        user = harness.new_user()
        await harness.text(user, "/start")
        commands = [
            "/admin",
            f"/user {user}",
            f"/grant {user} 5 thanks",
            f"/take {user} 5 oops",
            f"/ban {user}",
            f"/unban {user}",
            "/refund nosuchcharge",
            "/promo_new ADM1 5 2 1",
        ]
        for command in commands:
            await harness.text(ADMIN_ID, command)
            assert harness.last(ADMIN_ID).text != _t("help"), command
        other = harness.new_user()
        for command in [*commands, "/broadcast hello"]:
            await harness.text(other, command)
            assert harness.last(other).text == _t("help"), command
        assert "Users:" in next(m.text for m in harness.replies(ADMIN_ID) if m.text.startswith("📊"))


class TestBuyOneTapAway:
    async def test_shortfall_buy_pack_pay_continue_reaches_a_paid_generation(self, bot: Bot) -> None:
        """Not enough → Buy → the covering pack → pay → ▶ Continue: the job runs on the new balance."""
        harness, _ = bot
        user = harness.new_user()
        await harness.text(user, "/start")
        menu = harness.last(user)
        assert button_data(menu, "by:n0")
        model_id = "sora-2-pro-text-to-video"
        await harness.press(user, menu.message_id, "t:text-to-video")
        state = await harness.deps.wizards.load(user, -1)
        assert state is not None
        for data in (f"c:{state.sid}:m", f"m:{model_id}", f"u:{model_id}"):
            await harness.press(user, menu.message_id, data)
        await harness.text(user, "a whale over the city")
        price = harness.registry.price(model_id, {"prompt": "a whale over the city"})
        missing = price - await _balance(harness, user)
        confirm = harness.last(user)
        assert button_data(confirm, f"by:n{missing}")
        await harness.press(user, confirm.message_id, button_data(confirm, "c:").rsplit(":", 1)[0] + ":g")
        refusal = harness.last(user)
        assert refusal.text.startswith(_t("gen_insufficient", price="", balance="")[:16])

        taps = 0
        await harness.press(user, refusal.message_id, button_data(refusal, "by:n"))
        taps += 1
        packs = harness.last(user)
        assert packs.text.startswith(_t("money_packs_short", missing=TEXTS.credits(missing, Language.EN)))
        first = next(b for row in packs.reply_markup["inline_keyboard"] for b in row)
        assert first["callback_data"] == "by:100" and "enough for this run" in first["text"]
        await harness.press(user, packs.message_id, first["callback_data"])
        taps += 1
        await harness.deliver(harness.telegram.pay_invoice(user, harness.last(user).message_id))
        await harness.deliver(_last_payment(harness, user))
        taps += 1
        receipt = harness.last(user)
        assert "Payment received" in receipt.text
        await harness.press(user, receipt.message_id, button_data(receipt, "c:"))
        jobs = await harness.deps.jobs.recent_jobs(user)
        assert [job.model_id for job in jobs] == [model_id] and taps == 3
        assert await _balance(harness, user) == 50 + 100 - price

    async def test_balance_screen_and_command_menu_offer_buying(self, bot: Bot) -> None:
        """The balance screen has Buy; /buy /invite /promo /support /terms are in both command menus."""
        harness, _ = bot
        user = harness.new_user()
        await harness.text(user, "/balance")
        assert button_data(harness.last(user), "by:n0")
        for call in harness.telegram.calls_of("setMyCommands", ok=True):
            names = {command["command"] for command in call.params["commands"]}
            assert {"buy", "invite", "promo", "support", "terms"} <= names
