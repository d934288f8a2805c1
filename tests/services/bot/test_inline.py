"""Inline mode: ``@bot <prompt>`` offers a priced picture; only its sender's Generate runs and pays for it."""

from __future__ import annotations

from typing import Any

import pytest

from emulators.telegram import Message
from services.bot.handlers.inline import offer_params
from shared.catalog import GenType
from shared.chat.texts import Language
from tests.services.bot.harness import BotHarness, buttons


async def _query(bot: BotHarness, user: int, text: str, chat_id: int | None = None) -> dict[str, Any]:
    """The user types ``@bot text``: the bot's recorded answer for that query."""
    update = bot.telegram.send_inline_query(user, text, chat_id=chat_id)
    await bot.deliver(update)
    record = bot.telegram.bot().inline_queries[update.payload["id"]]
    assert record.answer is not None, "every inline query is answered"
    return record.answer | {"query_id": record.id}


async def _offer(bot: BotHarness, user: int, text: str, chat_id: int | None = None) -> Message:
    """Type, then choose the one result: the message sent via the bot (delivered to the bot too)."""
    answer = await _query(bot, user, text, chat_id)
    [result] = answer["results"]
    message = bot.telegram.choose_inline_result(user, answer["query_id"], result["id"])
    await bot.deliver(bot.telegram.bot().updates[-1])
    return message


async def _press(bot: BotHarness, user: int, message: Message) -> dict[str, Any]:
    """Press Generate on the inline message: the bot's answer to that press."""
    generate = buttons(message)[0]["callback_data"]
    inline_id = message.internal["inline_message_id"]
    await bot.deliver(bot.telegram.press_inline_button(user, inline_id, callback_data=generate))
    [record] = [r for r in bot.telegram.bot().callback_queries.values() if r.answer and r.user_id == user][
        -1:
    ]
    return dict(record.answer or {})


async def _started(bot: BotHarness, language: str = "en", name: str = "Ann") -> int:
    user = bot.new_user(language, name)
    await bot.text(user, "/start")
    return user


async def _jobs(bot: BotHarness, user: int) -> list[Any]:
    return await bot.deps.jobs.recent_jobs(user)


class TestInlineOffer:
    async def test_prompt_gets_one_priced_article_of_the_default_model(self, bot: BotHarness) -> None:
        user = await _started(bot)
        answer = await _query(bot, user, "a red fox in the snow")
        model = bot.registry.default_model(GenType.TEXT_TO_IMAGE)
        price = bot.registry.price(model.id, offer_params(bot.registry, model, "a red fox in the snow"))
        credits = bot.deps.texts.credits(price, Language.EN)
        [result] = answer["results"]
        assert result["type"] == "article"
        assert result["title"] == bot.deps.texts.get("inline_title", Language.EN, price=credits)
        assert result["description"] == "a red fox in the snow"
        assert "a red fox in the snow" in result["input_message_content"]["message_text"]
        [[generate]] = result["reply_markup"]["inline_keyboard"]
        assert generate["text"] == bot.deps.texts.get("btn_inline_generate", Language.EN, price=credits)
        assert len(generate["callback_data"].encode()) <= 64
        assert answer["is_personal"] is True and answer["cache_time"] == 0
        draft = await bot.deps.inline.load(result["id"]) if bot.deps.inline else None
        assert draft is not None
        assert (draft.user_id, draft.model_id, draft.price, draft.prompt) == (
            user,
            model.id,
            price,
            "a red fox in the snow",
        )
        assert draft.params == offer_params(bot.registry, model, "a red fox in the snow")

    async def test_empty_query_offers_nothing_but_the_button_into_the_bot(self, bot: BotHarness) -> None:
        user = await _started(bot, "ru")
        answer = await _query(bot, user, "  ")
        assert answer["results"] == []
        assert answer["button"] == {
            "text": bot.deps.texts.get("inline_type_prompt", Language.RU),
            "start_parameter": "inline",
        }

    async def test_the_message_sent_via_the_bot_is_not_taken_as_typed_text(self, bot: BotHarness) -> None:
        """Chosen in the user's own chat with the bot, the offer reaches the bot, which stays silent."""
        user = await _started(bot)
        before = len(bot.replies(user))
        message = await _offer(bot, user, "a lighthouse")
        assert message.via_bot is not None
        assert len(bot.replies(user)) == before


class TestInlineGenerate:
    async def test_sender_press_holds_the_price_and_makes_an_inline_job(self, bot: BotHarness) -> None:
        ann, bob = await _started(bot, name="Ann"), bot.new_user("en", "Bob")
        group = bot.telegram.create_group("Friends", [ann, bob])
        message = await _offer(bot, ann, "a paper boat", chat_id=group.id)
        balance = await bot.deps.ledger.balance(ann)
        answer = await _press(bot, ann, message)
        assert answer["text"] == bot.deps.texts.get("inline_started", Language.EN)
        [job] = await _jobs(bot, ann)
        assert job.inline_message_id == message.internal["inline_message_id"]
        assert (job.chat_id, job.progress_message_id, job.inline_own_chat) == (ann, None, False)
        assert await bot.deps.ledger.balance(ann) == balance - job.price_credits
        edited = bot.telegram.chat_messages(group.id)[-1]
        assert edited.text is not None and "a paper boat" in edited.text and edited.reply_markup is None
        assert edited.text.startswith("⏳")

    async def test_someone_else_is_refused_and_not_charged(self, bot: BotHarness) -> None:
        ann, bob = await _started(bot, name="Ann"), await _started(bot, "ru", "Борис")
        group = bot.telegram.create_group("Friends", [ann, bob])
        message = await _offer(bot, ann, "a paper boat", chat_id=group.id)
        balances = [await bot.deps.ledger.balance(u) for u in (ann, bob)]
        answer = await _press(bot, bob, message)
        assert answer["show_alert"] is True
        assert answer["text"] == bot.deps.texts.get(
            "inline_not_yours", Language.RU, name="Ann", bot=bot.application.bot.username
        )
        assert await _jobs(bot, ann) == [] and await _jobs(bot, bob) == []
        assert [await bot.deps.ledger.balance(u) for u in (ann, bob)] == balances
        assert bot.telegram.chat_messages(group.id)[-1].edit_count == 0

    async def test_a_double_tap_makes_one_job(self, bot: BotHarness) -> None:
        """Two presses made before the first is handled: one job, one hold, the second told so."""
        ann = await _started(bot)
        message = await _offer(bot, ann, "two moons")
        generate, inline_id = buttons(message)[0]["callback_data"], message.internal["inline_message_id"]
        taps = [bot.telegram.press_inline_button(ann, inline_id, callback_data=generate) for _ in range(2)]
        balance = await bot.deps.ledger.balance(ann)
        for tap in taps:
            await bot.deliver(tap)
        answers = [r.answer or {} for r in bot.telegram.bot().callback_queries.values() if r.user_id == ann]
        assert answers[-1]["text"] == bot.deps.texts.get("inline_already", Language.EN)
        [job] = await _jobs(bot, ann)
        assert await bot.deps.ledger.balance(ann) == balance - job.price_credits
        assert job.inline_own_chat, "typed in her own chat with the bot (chat_type sender)"

    @pytest.mark.parametrize("language", ["en", "ru"])
    async def test_short_of_credits_alerts_and_links_to_buying(self, bot: BotHarness, language: str) -> None:
        """A user who never opened the bot has nothing: an alert, and a Buy credits link on the message."""
        stranger = bot.new_user(language, "Eve")
        message = await _offer(bot, stranger, "a castle")
        answer = await _press(bot, stranger, message)
        lang = Language(language)
        assert answer["show_alert"] is True
        assert answer["text"].startswith(
            bot.deps.texts.get("inline_insufficient_alert", lang, price="X", balance="Y")[:12]
        )
        assert await _jobs(bot, stranger) == []
        edited = bot.telegram.chat_messages(stranger)[-1]
        urls = [b.get("url") for b in buttons(edited) if "url" in b]
        assert urls == [f"https://t.me/{bot.application.bot.username}?start=buy"]
        assert buttons(edited)[0]["callback_data"].startswith("il:"), "Generate stays for after topping up"
