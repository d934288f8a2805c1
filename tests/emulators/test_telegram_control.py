"""The `/_emulator` control API: simulated users, inspection, faults and the Stars payment flow."""

from __future__ import annotations

import asyncio
import base64
import sys
from typing import Any

import aiohttp

from emulators.telegram import BotApiState, RunningEmulator

from .conftest import TOKEN
from .images import png


async def control(
    http: aiohttp.ClientSession, emulator: RunningEmulator, verb: str, path: str, **body: Any
) -> Any:
    """Call a control route and return its result (asserting ok)."""
    async with http.request(verb, f"{emulator.url}/_emulator/{path}", json=body or None) as resp:
        data = await resp.json()
        assert data["ok"], data
        return data["result"]


async def bot_call(
    http: aiohttp.ClientSession, emulator: RunningEmulator, method: str, **params: Any
) -> dict[str, Any]:
    """POST JSON to a Bot API method."""
    async with http.post(f"{emulator.url}/bot{TOKEN}/{method}", json=params) as resp:
        return dict(await resp.json())


class TestControlApi:
    async def test_user_text_button_and_chat_listing(
        self, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """Users are created, write, press buttons; the chat listing shows messages as they stand."""
        user = await control(http, emulator, "POST", "users", first_name="Ann", username="ann")
        update = await control(http, emulator, "POST", "send_text", user_id=user["id"], text="/start")
        assert update["message"]["text"] == "/start"
        markup = {"inline_keyboard": [[{"text": "Buy", "callback_data": "buy:1"}]]}
        sent = await bot_call(
            http, emulator, "sendMessage", chat_id=user["id"], text="menu", reply_markup=markup
        )
        mid = sent["result"]["message_id"]
        press = await control(
            http, emulator, "POST", "press_button", user_id=user["id"], message_id=mid, button_text="Buy"
        )
        assert press["callback_query"]["data"] == "buy:1"
        assert press["update_id"] > update["update_id"]
        await bot_call(http, emulator, "editMessageText", chat_id=user["id"], message_id=mid, text="bought")
        messages = await control(http, emulator, "GET", f"chats/{user['id']}/messages")
        assert [m["text"] for m in messages] == ["/start", "bought"]
        assert messages[1]["emulator"] == {"deleted": False, "edit_count": 1, "from_bot": True}
        calls = await control(http, emulator, "GET", "calls?method=sendMessage")
        assert [c["params"]["text"] for c in calls] == ["menu"]

    async def test_refused_actions_answer_400(
        self, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """Pressing a button that does not exist is refused with a description."""
        user = await control(http, emulator, "POST", "users", first_name="Bo")
        body = {"user_id": user["id"], "message_id": 5, "callback_data": "x"}
        async with http.post(f"{emulator.url}/_emulator/press_button", json=body) as resp:
            assert resp.status == 400
            assert "no bot message" in (await resp.json())["description"]

    async def test_send_photo_and_file_download(
        self, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """A user photo sent as base64 is stored and downloadable by file_id."""
        user = await control(http, emulator, "POST", "users")
        image = png(5, 5)
        update = await control(
            http,
            emulator,
            "POST",
            "send_photo",
            user_id=user["id"],
            data_base64=base64.b64encode(image).decode(),
        )
        file_id = update["message"]["photo"][-1]["file_id"]
        async with http.get(f"{emulator.url}/_emulator/files/{file_id}") as resp:
            assert await resp.read() == image

    async def test_faults_over_http(self, emulator: RunningEmulator, http: aiohttp.ClientSession) -> None:
        """Fault rules are added, listed and cleared over HTTP."""
        await control(http, emulator, "POST", "faults", method="getMe", kind="429", count=1, retry_after=2)
        assert len(await control(http, emulator, "GET", "faults")) == 1
        assert (await bot_call(http, emulator, "getMe"))["error_code"] == 429
        assert (await bot_call(http, emulator, "getMe"))["ok"] is True
        await control(http, emulator, "POST", "faults", method="*", kind="500", count=None)
        assert (await bot_call(http, emulator, "getMe"))["error_code"] == 500
        await control(http, emulator, "DELETE", "faults")
        assert (await bot_call(http, emulator, "getMe"))["ok"] is True

    async def test_changes_long_poll_wakes_on_new_message(
        self, state: BotApiState, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """The web chat's change feed answers when the bot sends something."""
        user = state.create_user()
        generation = (await control(http, emulator, "GET", "state"))["generation"]
        waiter = asyncio.create_task(control(http, emulator, "GET", f"changes?after={generation}&timeout=5"))
        await asyncio.sleep(0.1)
        await bot_call(http, emulator, "sendMessage", chat_id=user.id, text="hi")
        result = await asyncio.wait_for(waiter, 5)
        assert result["generation"] > generation


class TestStarsPayment:
    async def test_invoice_checkout_payment_and_refund(
        self, state: BotApiState, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """sendInvoice → user pays → pre_checkout_query → ok answer → successful_payment → one refund."""
        user = state.create_user()
        invoice = await bot_call(
            http,
            emulator,
            "sendInvoice",
            chat_id=user.id,
            title="100 credits",
            description="pack",
            payload="pack:100",
            currency="XTR",
            prices=[{"label": "100 credits", "amount": 50}],
        )
        assert invoice["result"]["invoice"]["total_amount"] == 50
        pre = await control(
            http, emulator, "POST", "pay_invoice", user_id=user.id, message_id=invoice["result"]["message_id"]
        )
        query = pre["pre_checkout_query"]
        assert (query["currency"], query["invoice_payload"]) == ("XTR", "pack:100")
        assert (
            await bot_call(
                http, emulator, "answerPreCheckoutQuery", pre_checkout_query_id=query["id"], ok=True
            )
        )["ok"]
        last = state.bot().updates[-1].to_api()
        payment = last["message"]["successful_payment"]
        assert payment["total_amount"] == 50
        charge = payment["telegram_payment_charge_id"]
        refund = {"user_id": user.id, "telegram_payment_charge_id": charge}
        assert (await bot_call(http, emulator, "refundStarPayment", **refund))["result"] is True
        again = await bot_call(http, emulator, "refundStarPayment", **refund)
        assert again["description"] == "Bad Request: CHARGE_ALREADY_REFUNDED"

    async def test_a_forwarded_invoice_is_paid_by_another_user_unless_it_has_a_start_parameter(
        self, state: BotApiState, emulator: RunningEmulator, http: aiohttp.ClientSession
    ) -> None:
        """Without start_parameter a forwarded invoice keeps its Pay button: another user's checkout
        carries the original payload and price, and the payment lands in the payer's chat."""
        owner, payer = state.create_user(), state.create_user()
        invoice: dict[str, object] = {
            "title": "100 credits",
            "description": "pack",
            "payload": "pack:100:for-owner",
        }
        invoice |= {"currency": "XTR", "prices": [{"label": "100 credits", "amount": 50}]}
        sent = await bot_call(http, emulator, "sendInvoice", chat_id=owner.id, **invoice)
        pay = {"user_id": payer.id, "from_chat_id": owner.id, "message_id": sent["result"]["message_id"]}
        pre = await control(http, emulator, "POST", "pay_forwarded_invoice", **pay)
        query = pre["pre_checkout_query"]
        assert (query["from"]["id"], query["invoice_payload"], query["total_amount"]) == (
            payer.id,
            "pack:100:for-owner",
            50,
        )
        answer = {"pre_checkout_query_id": query["id"], "ok": True}
        assert (await bot_call(http, emulator, "answerPreCheckoutQuery", **answer))["ok"]
        paid = state.bot().updates[-1].to_api()["message"]
        assert paid["chat"]["id"] == payer.id and paid["successful_payment"]["total_amount"] == 50

        linked = await bot_call(
            http, emulator, "sendInvoice", chat_id=owner.id, start_parameter="x", **invoice
        )
        pay["message_id"] = linked["result"]["message_id"]
        async with http.post(f"{emulator.url}/_emulator/pay_forwarded_invoice", json=pay) as resp:
            assert resp.status == 400 and "start_parameter" in (await resp.json())["description"]


class TestCommandLine:
    async def test_module_prints_ready_line_and_serves(
        self, free_port: int, http: aiohttp.ClientSession
    ) -> None:
        """`python -m emulators.telegram` prints the ready line and answers getMe for its token."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "emulators.telegram",
            "--port",
            str(free_port),
            "--token",
            "42:abc",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), 20)
            assert line.decode().strip() == f"telegram emulator listening on http://127.0.0.1:{free_port}"
            async with http.get(f"http://127.0.0.1:{free_port}/bot42:abc/getMe") as resp:
                assert (await resp.json())["result"]["id"] == 42
        finally:
            proc.terminate()
            assert await asyncio.wait_for(proc.wait(), 10) == 0
