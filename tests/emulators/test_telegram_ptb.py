"""python-telegram-bot 22.8, the bot's real client, works against the emulator."""

from __future__ import annotations

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, RetryAfter

from emulators.telegram import BotApiState, FaultKind, FaultRule, RunningEmulator

from .conftest import TOKEN
from .images import png


def make_bot(emulator: RunningEmulator) -> telegram.Bot:
    """A PTB Bot pointed at the emulator the way the project configures it."""
    return telegram.Bot(TOKEN, base_url=f"{emulator.url}/bot", base_file_url=f"{emulator.url}/file/bot")


class TestPythonTelegramBot:
    async def test_get_me_and_send_message(self, state: BotApiState, emulator: RunningEmulator) -> None:
        """initialize() (getMe) and send_message parse into PTB objects."""
        user = state.create_user("Ann")
        async with make_bot(emulator) as bot:
            assert bot.username == state.bot().user.username
            markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
            message = await bot.send_message(user.id, "<i>hello</i>", parse_mode="HTML", reply_markup=markup)
            assert message.text == "hello"
            assert message.chat.id == user.id
            assert message.reply_markup == markup
            edited = await bot.edit_message_text("bye", chat_id=user.id, message_id=message.message_id)
            assert isinstance(edited, telegram.Message)
            assert edited.text == "bye"
        assert [m.text for m in state.bot_replies(user.id)] == ["bye"]

    async def test_send_photo_get_file_and_download(
        self, state: BotApiState, emulator: RunningEmulator
    ) -> None:
        """send_photo uploads multipart; get_file and download return the same bytes."""
        user = state.create_user()
        image = png(16, 9)
        async with make_bot(emulator) as bot:
            message = await bot.send_photo(user.id, photo=image, caption="c")
            photo = message.photo[-1]
            assert (photo.width, photo.height) == (16, 9)
            tg_file = await bot.get_file(photo.file_id)
            assert bytes(await tg_file.download_as_bytearray()) == image

    async def test_errors_map_to_ptb_exceptions(
        self, state: BotApiState, emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Telegram's error answers surface as PTB's BadRequest and RetryAfter."""
        monkeypatch.setenv("PTB_TIMEDELTA", "1")  # PTB 22 warns about int retry_after otherwise
        user = state.create_user()
        state.faults.add(FaultRule("sendMessage", FaultKind.FLOOD, retry_after=7))
        async with make_bot(emulator) as bot:
            with pytest.raises(RetryAfter) as flood:
                await bot.send_message(user.id, "x")
            assert flood.value.retry_after.total_seconds() == 7
            with pytest.raises(BadRequest, match="Chat not found"):
                await bot.send_message(424242, "x")
            with pytest.raises(BadRequest, match="Message text is empty"):
                await bot.send_message(user.id, "")

    async def test_get_updates_and_answer_callback(
        self, state: BotApiState, emulator: RunningEmulator
    ) -> None:
        """A pressed button arrives as a PTB CallbackQuery that the bot can answer."""
        user = state.create_user()
        async with make_bot(emulator) as bot:
            markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
            sent = await bot.send_message(user.id, "choose", reply_markup=markup)
            state.press_button(user.id, sent.message_id, callback_data="go")
            [update] = await bot.get_updates(timeout=1)
            assert update.callback_query is not None
            assert update.callback_query.data == "go"
            assert await update.callback_query.answer("done")
        [record] = state.bot().callback_queries.values()
        assert record.answer is not None and record.answer["text"] == "done"

    async def test_commands_and_chat_action(self, state: BotApiState, emulator: RunningEmulator) -> None:
        """set_my_commands/get_my_commands round-trip; send_chat_action validates the action."""
        user = state.create_user()
        async with make_bot(emulator) as bot:
            assert await bot.set_my_commands([("start", "Start"), ("help", "Help")])
            commands = await bot.get_my_commands()
            assert [(c.command, c.description) for c in commands] == [("start", "Start"), ("help", "Help")]
            assert await bot.send_chat_action(user.id, "typing")
            with pytest.raises(BadRequest):
                await bot.send_chat_action(user.id, "dancing")
