"""Support tickets through the bot: user → admins (with the user's card) → user, listed in /admin."""

from __future__ import annotations

from services.bot.money.deps import MoneyDeps
from shared.chat.texts import Language, Texts
from tests.services.bot.harness import BotHarness
from tests.services.bot.money.conftest import ADMIN_ID

TEXTS = Texts()
Bot = tuple[BotHarness, MoneyDeps]


class TestSupportTicket:
    async def test_question_reaches_the_admin_and_the_answer_comes_back(self, bot: Bot) -> None:
        """/support → the question → the admin's card → a reply → the user reads it; /admin lists it."""
        harness, _ = bot
        user = harness.new_user("ru", name="Vera")
        await harness.text(user, "/start")
        await harness.text(user, "/support")
        assert harness.last(user).text == TEXTS.get("support_ask", Language.RU, user_id=user)
        await harness.text(user, "Не пришла картинка")
        card = harness.last(ADMIN_ID)
        assert "Не пришла картинка" in card.text and f"id {user}" in card.text and "Vera" in card.text
        ticket = card.text.split("#", 1)[1].split(" ", 1)[0]
        assert harness.last(user).text == TEXTS.get("support_sent", Language.RU, ticket=ticket)

        await harness.text(ADMIN_ID, "/admin")
        assert f"#{ticket} · user {user}" in harness.last(ADMIN_ID).text

        reply = harness.telegram.send_text(ADMIN_ID, "Отправили заново", reply_to_message_id=card.message_id)
        await harness.deliver(reply)
        assert harness.last(user).text == TEXTS.get("support_answer", Language.RU, text="Отправили заново")
        assert harness.last(ADMIN_ID).text == TEXTS.get(
            "support_delivered", Language.EN, user_id=user, ticket=ticket
        )
        await harness.text(ADMIN_ID, f"/close {ticket}")
        assert harness.last(ADMIN_ID).text == TEXTS.get("support_closed", Language.EN, ticket=ticket)

    async def test_paysupport_with_text_relays_at_once_and_plain_text_is_not_captured(self, bot: Bot) -> None:
        """/paysupport <text> relays as a payment ticket; later text goes back to the usual handling."""
        harness, _ = bot
        user = harness.new_user("en")
        await harness.text(user, "/start")
        await harness.text(user, "/paysupport stars paid, no credits")
        card = harness.last(ADMIN_ID)
        assert "payment" in card.text and "stars paid, no credits" in card.text
        await harness.text(user, "a cat in boots")
        assert harness.last(user).text == TEXTS.get("draft_offer", Language.EN, preview="a cat in boots")
