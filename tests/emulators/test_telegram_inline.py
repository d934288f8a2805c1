"""Inline mode in the Bot API emulator, driven through python-telegram-bot (the bot's real client)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
import telegram
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputMediaPhoto,
    InputTextMessageContent,
)
from telegram.error import BadRequest

from emulators.telegram import BotApiState, RunningEmulator

from .conftest import TOKEN
from .images import png


def make_bot(emulator: RunningEmulator) -> telegram.Bot:
    return telegram.Bot(TOKEN, base_url=f"{emulator.url}/bot", base_file_url=f"{emulator.url}/file/bot")


def article(result_id: str = "r1", text: str = "Make a cat") -> InlineQueryResultArticle:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Generate · 5", callback_data="go")]])
    return InlineQueryResultArticle(
        result_id, "A cat · 5 credits", InputTextMessageContent(text), reply_markup=markup, description="cat"
    )


async def raw_call(
    http: aiohttp.ClientSession, emulator: RunningEmulator, method: str, **params: Any
) -> dict[str, Any]:
    async with http.post(f"{emulator.url}/bot{TOKEN}/{method}", json=params) as resp:
        return dict(await resp.json())


async def chosen(state: BotApiState, bot: telegram.Bot, user_id: int, chat_id: int | None = None) -> str:
    """Type a query, answer it with one article, choose it: the inline_message_id."""
    query = state.send_inline_query(user_id, "a cat", chat_id=chat_id)
    assert await bot.answer_inline_query(query.payload["id"], [article()], cache_time=0, is_personal=True)
    message = state.choose_inline_result(user_id, query.payload["id"], "r1")
    return str(message.internal["inline_message_id"])


class TestInlineQuery:
    async def test_query_reaches_the_bot_with_its_fields(
        self, state: BotApiState, emulator: RunningEmulator
    ) -> None:
        """inline_query has id, from, query, offset and chat_type ("sender" in the chat with the bot)."""
        ann, bob = state.create_user("Ann"), state.create_user("Bob")
        group = state.create_group("Friends", [ann.id, bob.id])
        state.send_inline_query(ann.id, "a cat")
        state.send_inline_query(ann.id, "a dog", chat_id=group.id, offset="10")
        async with make_bot(emulator) as bot:
            assert (await bot.get_me()).supports_inline_queries
            first, second = await bot.get_updates(timeout=1)
        assert first.inline_query is not None and second.inline_query is not None
        assert (first.inline_query.query, first.inline_query.offset) == ("a cat", "")
        assert first.inline_query.chat_type == "sender"
        assert first.inline_query.from_user.id == ann.id
        assert (second.inline_query.chat_type, second.inline_query.offset) == ("supergroup", "10")

    async def test_answer_is_stored_and_the_chosen_result_is_sent_via_the_bot(
        self, state: BotApiState, emulator: RunningEmulator
    ) -> None:
        """Choosing posts the result's text and keyboard "via @bot"; the bot sees it with via_bot."""
        ann = state.create_user("Ann")
        async with make_bot(emulator) as bot:
            inline_id = await chosen(state, bot, ann.id)
            [message] = state.chat_messages(ann.id)
            assert message.text == "Make a cat" and message.sender.id == ann.id
            assert message.via_bot is not None and message.via_bot.id == bot.id
            assert message.reply_markup == {
                "inline_keyboard": [[{"text": "Generate · 5", "callback_data": "go"}]]
            }
            updates = await bot.get_updates(timeout=1)
        assert [u.message.via_bot.id for u in updates if u.message and u.message.via_bot] == [bot.id]
        assert not any(u.chosen_inline_result for u in updates), "feedback is off by default"
        [record] = state.bot().inline_queries.values()
        assert record.answer is not None and record.answer["is_personal"] is True
        assert inline_id in state.bot().inline_messages

    async def test_chosen_inline_result_only_with_feedback_on(
        self, state: BotApiState, emulator: RunningEmulator
    ) -> None:
        ann = state.create_user("Ann")
        state.bot().inline_feedback = True
        async with make_bot(emulator) as bot:
            inline_id = await chosen(state, bot, ann.id)
            updates = await bot.get_updates(timeout=1)
        [result] = [u.chosen_inline_result for u in updates if u.chosen_inline_result]
        assert (result.result_id, result.query, result.inline_message_id) == ("r1", "a cat", inline_id)

    @pytest.mark.parametrize(
        ("results", "description"),
        [
            (
                [
                    {
                        "type": "article",
                        "id": f"r{i}",
                        "title": "t",
                        "input_message_content": {"message_text": "x"},
                    }
                    for i in range(51)
                ],
                "RESULTS_TOO_MUCH",
            ),
            (
                [
                    {
                        "type": "article",
                        "id": "x" * 65,
                        "title": "t",
                        "input_message_content": {"message_text": "x"},
                    }
                ],
                "RESULT_ID_INVALID",
            ),
            (
                [{"type": "article", "id": "a", "title": "t", "input_message_content": {"message_text": "x"}}]
                * 2,
                "RESULT_ID_DUPLICATE",
            ),
            ([{"type": "gif", "id": "a", "gif_url": "http://x/a.gif"}], "unsupported type"),
            ([{"type": "article", "id": "a", "title": "t"}], "input_message_content is required"),
            (
                [
                    {
                        "type": "article",
                        "id": "a",
                        "title": "t",
                        "input_message_content": {"message_text": " "},
                    }
                ],
                "MESSAGE_EMPTY",
            ),
            (
                [
                    {
                        "type": "article",
                        "id": "a",
                        "title": "t",
                        "input_message_content": {"message_text": "x"},
                        "reply_markup": {"inline_keyboard": [[{"text": "b", "callback_data": "d" * 65}]]},
                    }
                ],
                "BUTTON_DATA_INVALID",
            ),
        ],
    )
    async def test_invalid_answers_are_refused_and_change_nothing(
        self,
        state: BotApiState,
        emulator: RunningEmulator,
        http: aiohttp.ClientSession,
        results: list[dict[str, Any]],
        description: str,
    ) -> None:
        ann = state.create_user("Ann")
        query = state.send_inline_query(ann.id, "q")
        body = await raw_call(
            http, emulator, "answerInlineQuery", inline_query_id=query.payload["id"], results=results
        )
        assert body["ok"] is False and body["error_code"] == 400
        assert description in body["description"]
        assert not state.bot().inline_queries[query.payload["id"]].answered

    async def test_a_query_is_answered_once(self, state: BotApiState, emulator: RunningEmulator) -> None:
        ann = state.create_user("Ann")
        query = state.send_inline_query(ann.id, "q")
        async with make_bot(emulator) as bot:
            assert await bot.answer_inline_query(query.payload["id"], [article()])
            with pytest.raises(BadRequest, match="query id is invalid"):
                await bot.answer_inline_query(query.payload["id"], [article()])
            with pytest.raises(BadRequest, match="query id is invalid"):
                await bot.answer_inline_query("999", [article()])


class TestInlineMessage:
    async def test_button_press_carries_inline_message_id_and_no_message(
        self, state: BotApiState, emulator: RunningEmulator
    ) -> None:
        ann, bob = state.create_user("Ann"), state.create_user("Bob")
        group = state.create_group("Friends", [ann.id, bob.id])
        async with make_bot(emulator) as bot:
            inline_id = await chosen(state, bot, ann.id, chat_id=group.id)
            await bot.get_updates(timeout=1)
            state.press_inline_button(bob.id, inline_id, button_text="Generate · 5")
            updates = await bot.get_updates(offset=-1, timeout=1)
            query = updates[-1].callback_query
            assert query is not None
            assert (query.inline_message_id, query.data, query.from_user.id) == (inline_id, "go", bob.id)
            assert query.message is None and query.chat_instance
            assert await query.answer("Only Ann can start this", show_alert=True)

    async def test_edits_by_inline_message_id_answer_true(
        self, state: BotApiState, emulator: RunningEmulator
    ) -> None:
        """Text, keyboard and media edits change the message in its chat and answer True."""
        ann = state.create_user("Ann")
        image = png(8, 8)
        async with make_bot(emulator) as bot:
            inline_id = await chosen(state, bot, ann.id)
            assert await bot.edit_message_text("Generating…", inline_message_id=inline_id) is True
            markup = InlineKeyboardMarkup([[InlineKeyboardButton("Open", url="https://t.me/x")]])
            assert (
                await bot.edit_message_reply_markup(inline_message_id=inline_id, reply_markup=markup) is True
            )
            stored = state.files.put(image, "photo")
            media = InputMediaPhoto(stored.file_id, caption="A cat")
            assert await bot.edit_message_media(media, inline_message_id=inline_id) is True
        [message] = state.chat_messages(ann.id)
        assert message.text is None and message.caption == "A cat"
        assert message.content["photo"][0]["file_id"] == stored.file_id
        assert message.reply_markup is None, "an edit without reply_markup drops the keyboard"
        assert message.edit_count == 3

    async def test_media_edit_by_url_fetches_it(self, state: BotApiState, emulator: RunningEmulator) -> None:
        ann = state.create_user("Ann")
        stored = state.files.put(png(4, 4), "photo")
        url = f"{emulator.url}/_emulator/files/{stored.file_id}"
        async with make_bot(emulator) as bot:
            inline_id = await chosen(state, bot, ann.id)
            assert await bot.edit_message_media(InputMediaPhoto(url), inline_message_id=inline_id) is True
        [message] = state.chat_messages(ann.id)
        assert state.files.get(message.content["photo"][0]["file_id"]).data == stored.data

    async def test_a_new_upload_is_refused_for_an_inline_message(
        self, state: BotApiState, emulator: RunningEmulator
    ) -> None:
        """Telegram takes only a file_id or an HTTP URL when an inline message is edited."""
        ann = state.create_user("Ann")
        async with make_bot(emulator) as bot:
            inline_id = await chosen(state, bot, ann.id)
            with pytest.raises(BadRequest, match="can't be uploaded"):
                await bot.edit_message_media(InputMediaPhoto(png(4, 4)), inline_message_id=inline_id)
            sent = await bot.send_photo(ann.id, png(2, 2))
            edited = await bot.edit_message_media(
                InputMediaPhoto(png(4, 4)), chat_id=ann.id, message_id=sent.message_id
            )
            assert isinstance(edited, telegram.Message), "a bot's own message may take a new upload"
        assert state.chat_messages(ann.id)[0].text == "Make a cat"

    async def test_unknown_inline_message_id_is_refused(
        self, state: BotApiState, emulator: RunningEmulator
    ) -> None:
        async with make_bot(emulator) as bot:
            with pytest.raises(BadRequest, match="Message_id_invalid"):
                await bot.edit_message_text("x", inline_message_id="nope")
