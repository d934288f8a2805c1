"""The Bot API envelope, authentication, parameter forms and message validation."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from emulators.telegram import BotApiState, RunningEmulator
from emulators.telegram.faults import FaultKind, FaultRule

from .conftest import TOKEN


async def call(
    http: aiohttp.ClientSession, emulator: RunningEmulator, method: str, **params: Any
) -> tuple[int, dict[str, Any]]:
    """POST JSON to a Bot API method; return status and body."""
    async with http.post(f"{emulator.url}/bot{TOKEN}/{method}", json=params) as resp:
        return resp.status, await resp.json()


class TestEnvelope:
    async def test_get_me_answers_ok_envelope(
        self, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """getMe answers ok=true with the bot's user."""
        status, body = await call(http, emulator, "getMe")
        assert status == 200
        assert body["ok"] is True
        assert body["result"]["id"] == 111222333
        assert body["result"]["is_bot"] is True

    async def test_unknown_token_is_unauthorized(
        self, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """An unknown token answers 401 Unauthorized like Telegram."""
        async with http.get(f"{emulator.url}/bot1:nope/getMe") as resp:
            assert resp.status == 401
            assert await resp.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}

    async def test_unknown_method_is_not_found(
        self, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """An unknown method answers 404 Not Found."""
        status, body = await call(http, emulator, "fooBar")
        assert status == 404
        assert body == {"ok": False, "error_code": 404, "description": "Not Found"}

    async def test_method_name_is_case_insensitive(
        self, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """Telegram ignores the case of method names."""
        status, _ = await call(http, emulator, "GETME")
        assert status == 200


class TestParameterForms:
    async def test_query_form_and_json_are_equivalent(
        self, state: BotApiState, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """sendMessage accepts query args, urlencoded form and JSON bodies."""
        user = state.create_user("Ann")
        base = f"{emulator.url}/bot{TOKEN}/sendMessage"
        markup = '{"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}'
        async with http.get(base, params={"chat_id": str(user.id), "text": "q"}) as resp:
            assert (await resp.json())["result"]["text"] == "q"
        form = {"chat_id": str(user.id), "text": "f", "reply_markup": markup}
        async with http.post(base, data=form) as resp:
            body = await resp.json()
            assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
        _, body = await call(http, emulator, "sendMessage", chat_id=user.id, text="j")
        assert [m.text for m in state.chat_messages(user.id)] == ["q", "f", "j"]
        assert [m.message_id for m in state.chat_messages(user.id)] == [1, 2, 3]


class TestValidation:
    async def test_unknown_chat_is_chat_not_found(
        self, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """Sending to a chat that does not exist answers 'chat not found'."""
        status, body = await call(http, emulator, "sendMessage", chat_id=42, text="hi")
        assert (status, body["description"]) == (400, "Bad Request: chat not found")

    async def test_empty_and_long_text_are_refused(
        self, state: BotApiState, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """Empty text and text over 4096 characters get Telegram's answers."""
        user = state.create_user()
        _, empty = await call(http, emulator, "sendMessage", chat_id=user.id, text="  ")
        _, long = await call(http, emulator, "sendMessage", chat_id=user.id, text="x" * 4097)
        _, limit = await call(http, emulator, "sendMessage", chat_id=user.id, text="x" * 4096)
        assert empty["description"] == "Bad Request: message text is empty"
        assert long["description"] == "Bad Request: message is too long"
        assert limit["ok"] is True

    async def test_callback_data_over_64_bytes_is_button_data_invalid(
        self, state: BotApiState, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """callback_data is limited to 64 bytes (not characters)."""
        user = state.create_user()
        markup = {"inline_keyboard": [[{"text": "x", "callback_data": "é" * 33}]]}
        status, body = await call(
            http, emulator, "sendMessage", chat_id=user.id, text="t", reply_markup=markup
        )
        assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")

    async def test_keyboard_must_be_array_of_arrays(
        self, state: BotApiState, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """A flat button list is refused for inline and reply keyboards."""
        user = state.create_user()
        flat = {"inline_keyboard": [{"text": "x", "callback_data": "x"}]}
        _, inline = await call(http, emulator, "sendMessage", chat_id=user.id, text="t", reply_markup=flat)
        _, reply = await call(
            http, emulator, "sendMessage", chat_id=user.id, text="t", reply_markup={"keyboard": ["a"]}
        )
        assert "must be an Array of Arrays" in inline["description"]
        assert "must be an Array of Arrays" in reply["description"]

    async def test_html_parse_mode_yields_entities(
        self, state: BotApiState, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """HTML markup becomes plain text plus entities; broken HTML is refused."""
        user = state.create_user()
        _, body = await call(
            http, emulator, "sendMessage", chat_id=user.id, text="<b>Hi</b> &amp; you", parse_mode="HTML"
        )
        assert body["result"]["text"] == "Hi & you"
        assert body["result"]["entities"] == [{"type": "bold", "offset": 0, "length": 2}]
        _, bad = await call(http, emulator, "sendMessage", chat_id=user.id, text="<b>Hi", parse_mode="HTML")
        assert bad["description"].startswith("Bad Request: can't parse entities")


class TestEdits:
    async def test_edit_applies_in_place_and_identical_edit_is_refused(
        self, state: BotApiState, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """editMessageText changes the stored message; the same content again is 'not modified'."""
        user = state.create_user()
        markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
        _, sent = await call(http, emulator, "sendMessage", chat_id=user.id, text="one", reply_markup=markup)
        mid = sent["result"]["message_id"]
        _, edited = await call(
            http,
            emulator,
            "editMessageText",
            chat_id=user.id,
            message_id=mid,
            text="two",
            reply_markup=markup,
        )
        assert edited["result"]["text"] == "two"
        assert "edit_date" in edited["result"]
        _, again = await call(
            http,
            emulator,
            "editMessageText",
            chat_id=user.id,
            message_id=mid,
            text="two",
            reply_markup=markup,
        )
        assert again["description"].startswith("Bad Request: message is not modified: ")
        [message] = state.chat_messages(user.id)
        assert (message.text, message.edit_count) == ("two", 1)

    async def test_editing_missing_message_is_refused(
        self, state: BotApiState, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """Editing a message id that does not exist answers 'message to edit not found'."""
        user = state.create_user()
        _, body = await call(http, emulator, "editMessageText", chat_id=user.id, message_id=99, text="x")
        assert body["description"] == "Bad Request: message to edit not found"

    async def test_reply_markup_edit_and_delete(
        self, state: BotApiState, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """editMessageReplyMarkup without markup removes the keyboard; deleteMessage hides the message."""
        user = state.create_user()
        markup = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
        _, sent = await call(http, emulator, "sendMessage", chat_id=user.id, text="one", reply_markup=markup)
        mid = sent["result"]["message_id"]
        _, edited = await call(http, emulator, "editMessageReplyMarkup", chat_id=user.id, message_id=mid)
        assert "reply_markup" not in edited["result"]
        _, deleted = await call(http, emulator, "deleteMessage", chat_id=user.id, message_id=mid)
        _, twice = await call(http, emulator, "deleteMessage", chat_id=user.id, message_id=mid)
        assert deleted["result"] is True
        assert twice["description"] == "Bad Request: message to delete not found"
        assert state.chat_messages(user.id) == []


class TestMenuButton:
    async def test_default_menu_button_round_trip(
        self, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """Unset, the button is MenuButtonDefault; after setChatMenuButton it is what was set."""
        assert (await call(http, emulator, "getChatMenuButton"))[1]["result"] == {"type": "default"}
        status, body = await call(http, emulator, "setChatMenuButton", menu_button={"type": "commands"})
        assert (status, body["result"]) == (200, True)
        chat_button = await call(http, emulator, "getChatMenuButton", chat_id=42)
        assert chat_button[1]["result"] == {"type": "commands"}

    async def test_incomplete_web_app_button_is_refused(
        self, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """A web_app button without text or url is a 400, and the button is unchanged."""
        status, _ = await call(http, emulator, "setChatMenuButton", menu_button={"type": "web_app"})
        assert status == 400
        assert (await call(http, emulator, "getChatMenuButton"))[1]["result"] == {"type": "default"}


class TestFaults:
    async def test_flood_fault_answers_429_for_next_n_calls(
        self, state: BotApiState, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """A 429 rule with count=2 fails two sendMessage calls with retry_after, then lets them through."""
        user = state.create_user()
        state.faults.add(FaultRule("sendMessage", FaultKind.FLOOD, count=2, retry_after=3))
        results = [await call(http, emulator, "sendMessage", chat_id=user.id, text="x") for _ in range(3)]
        assert [status for status, _ in results] == [429, 429, 200]
        assert results[0][1] == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 3",
            "parameters": {"retry_after": 3},
        }
        assert len(state.chat_messages(user.id)) == 1
        assert [c.status for c in state.calls_of("sendMessage")] == [429, 429, 200]

    @pytest.mark.parametrize(
        ("kind", "detail", "status", "description"),
        [
            (FaultKind.BAD_REQUEST, "", 400, "Bad Request: IMAGE_PROCESS_FAILED"),
            (FaultKind.BAD_REQUEST, "wrong file type", 400, "Bad Request: wrong file type"),
            (FaultKind.FORBIDDEN, "", 403, "Forbidden: bot was blocked by the user"),
            (FaultKind.TOO_LARGE, "", 413, "Request Entity Too Large"),
        ],
    )
    async def test_refusals_answer_as_telegram_does(
        self,
        state: BotApiState,
        emulator: RunningEmulator,
        http: aiohttp.ClientSession,
        kind: FaultKind,
        detail: str,
        status: int,
        description: str,
    ) -> None:
        """400, 403 and 413 rules refuse the send with Telegram's error envelope and send nothing."""
        user = state.create_user()
        state.faults.add(FaultRule("sendMessage", kind, detail=detail))
        answered = await call(http, emulator, "sendMessage", chat_id=user.id, text="x")
        assert answered == (status, {"ok": False, "error_code": status, "description": description})
        assert state.chat_messages(user.id) == []

    async def test_server_error_and_fraction(
        self, state: BotApiState, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """A 500 rule for a fraction of calls fails roughly that share of them."""
        state.faults.add(FaultRule("getMe", FaultKind.SERVER_ERROR, count=None, fraction=0.5))
        statuses = [(await call(http, emulator, "getMe"))[0] for _ in range(40)]
        assert set(statuses) == {200, 500}
        assert 8 <= statuses.count(500) <= 32

    async def test_slow_fault_delays_the_answer(
        self, state: BotApiState, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """A slow rule delays the call but still answers it."""
        state.faults.add(FaultRule("getMe", FaultKind.SLOW, delay=0.3))
        loop = asyncio.get_running_loop()
        started = loop.time()
        status, _ = await call(http, emulator, "getMe")
        assert status == 200
        assert loop.time() - started >= 0.3

    async def test_reset_drops_the_connection_without_running_the_method(
        self, state: BotApiState, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """A reset rule closes the connection with no answer; nothing is sent; the record marks it."""
        user = state.create_user()
        state.faults.add(FaultRule("sendMessage", FaultKind.RESET))
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await call(http, emulator, "sendMessage", chat_id=user.id, text="x")
        assert state.chat_messages(user.id) == []
        assert (await call(http, emulator, "sendMessage", chat_id=user.id, text="y"))[0] == 200
        recorded = state.calls_of("sendMessage")
        assert [(c.status, c.fault) for c in recorded] == [(0, "reset"), (200, "")]

    async def test_record_names_the_fault_behind_each_answer(
        self, state: BotApiState, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """Every faulted call in the record carries its fault kinds: slow and 429 together, or none."""
        state.faults.add(FaultRule("getMe", FaultKind.SLOW, delay=0.01))
        state.faults.add(FaultRule("getMe", FaultKind.FLOOD))
        statuses = [(await call(http, emulator, "getMe"))[0] for _ in range(2)]
        assert statuses == [429, 200]
        assert [c.fault for c in state.calls_of("getMe")] == ["slow,429", ""]
