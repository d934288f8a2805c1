"""The Bot API envelope, authentication, parameter forms and message validation."""

from __future__ import annotations

from typing import Any

import aiohttp

from emulators.telegram import BotApiState, RunningEmulator

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
