"""A small synchronous client for the Bot API emulator's control API (``/_emulator/...``)."""

from __future__ import annotations

import base64
import json
import urllib.parse
import urllib.request
from typing import Any


class TelegramControl:
    """Acts as Telegram's users and reads what the bot did, over HTTP."""

    def __init__(self, base_url: str) -> None:
        self._base = base_url

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self._base}/_emulator/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = json.load(response)
        assert payload["ok"], payload
        return payload["result"]

    def create_user(self, first_name: str, language_code: str = "en") -> int:
        return int(
            self._request("POST", "users", {"first_name": first_name, "language_code": language_code})["id"]
        )

    def send_text(self, user_id: int, text: str, reply_to: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"user_id": user_id, "text": text}
        if reply_to is not None:
            body["reply_to_message_id"] = reply_to
        return dict(self._request("POST", "send_text", body))

    def press_button(self, user_id: int, message_id: int, callback_data: str) -> dict[str, Any]:
        body = {"user_id": user_id, "message_id": message_id, "callback_data": callback_data}
        return dict(self._request("POST", "press_button", body))

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        return list(self._request("GET", f"chats/{chat_id}/messages"))

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        return [m for m in self.messages(chat_id) if m["from"]["is_bot"]]

    def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        query = "" if method is None else "?" + urllib.parse.urlencode({"method": method})
        return list(self._request("GET", f"calls{query}"))

    def webhook(self) -> dict[str, Any]:
        return dict(self._request("GET", "webhook"))

    def add_fault(self, **rule: Any) -> None:
        self._request("POST", "faults", rule)

    def clear_faults(self) -> None:
        self._request("DELETE", "faults")

    def send_photo(self, user_id: int, data: bytes, caption: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"user_id": user_id, "data_base64": base64.b64encode(data).decode()}
        if caption is not None:
            body["caption"] = caption
        return dict(self._request("POST", "send_photo", body))

    def user_ids(self) -> set[int]:
        return {int(user["id"]) for user in self._request("GET", "users")}

    def create_user_as(self, first_name: str, user_id: int, language_code: str) -> int:
        body = {"first_name": first_name, "user_id": user_id, "language_code": language_code}
        return int(self._request("POST", "users", body)["id"])

    def pay_invoice(self, user_id: int, message_id: int) -> dict[str, Any]:
        """The user pays the invoice message: a pre_checkout_query reaches the bot."""
        return dict(self._request("POST", "pay_invoice", {"user_id": user_id, "message_id": message_id}))

    def create_group(self, title: str, member_ids: list[int]) -> int:
        return int(self._request("POST", "groups", {"title": title, "member_ids": member_ids})["id"])

    def inline_query(self, user_id: int, query: str, chat_id: int | None = None) -> str:
        """The user types ``@bot query`` in a chat; the inline query's id."""
        body: dict[str, Any] = {"user_id": user_id, "query": query, "chat_id": chat_id}
        return str(self._request("POST", "inline_query", body)["inline_query"]["id"])

    def inline_answer(self, query_id: str) -> dict[str, Any] | None:
        """The bot's answerInlineQuery for that query (None until it answered)."""
        found = [q for q in self._request("GET", "inline_queries") if q["id"] == query_id]
        return dict(found[0]["answer"]) if found and found[0]["answer"] else None

    def choose_inline_result(self, user_id: int, query_id: str, result_id: str) -> dict[str, Any]:
        """The user picks a result: the message sent via the bot (its inline_message_id in "emulator")."""
        body = {"user_id": user_id, "inline_query_id": query_id, "result_id": result_id}
        return dict(self._request("POST", "choose_inline_result", body))

    def press_in_chat(self, user_id: int, chat_id: int, message_id: int, callback_data: str) -> str:
        """Press a button on a message of another chat (a group); the callback query's id."""
        body = {
            "user_id": user_id,
            "chat_id": chat_id,
            "message_id": message_id,
            "callback_data": callback_data,
        }
        return str(self._request("POST", "press_button", body)["callback_query"]["id"])

    def pay_forwarded_invoice(self, user_id: int, from_chat_id: int, message_id: int) -> dict[str, Any]:
        """The user pays an invoice forwarded to them from another chat: a pre_checkout_query follows."""
        body = {"user_id": user_id, "from_chat_id": from_chat_id, "message_id": message_id}
        return dict(self._request("POST", "pay_forwarded_invoice", body))

    def checkouts(self) -> list[dict[str, Any]]:
        """Every pre_checkout_query with the bot's answer (ok, error_message)."""
        return list(self._request("GET", "payments")["checkouts"])

    def updates(self) -> list[dict[str, Any]]:
        """Every update the emulator made, as the Bot API renders them (plus delivered and attempts)."""
        return list(self._request("GET", "updates"))
