"""`BotApiState`: the emulator's world plus what simulated users do in it.

A test (or the sandbox web chat) creates users, then acts as them: sends text or commands, presses
inline buttons, sends photos and pays invoices. Each action becomes an update with the bot's next
update_id, delivered by webhook or handed out by getUpdates.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from .bot import BotState
from .errors import EmulatorError
from .files import media_payload
from .formatting import format_text
from .model import Chat, ChatType, Message, Update, UpdateKind, User
from .records import CallbackRecord, CheckoutRecord, InlineQueryRecord, PaymentRecord
from .store import DEFAULT_TOKEN, StateStore

__all__ = ["DEFAULT_TOKEN", "BotApiState", "utf16_len"]


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _command_entities(text: str) -> list[dict[str, Any]] | None:
    """A leading /command gets a bot_command entity, as Telegram's clients produce."""
    if not text.startswith("/"):
        return None
    head = text.split(maxsplit=1)[0] if text.strip() else text
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(head)}]


class BotApiState(StateStore):
    """The emulator's state and the simulation API (see the package docstring)."""

    def __init__(self, tokens: Sequence[str] = (DEFAULT_TOKEN,), **kwargs: Any) -> None:
        super().__init__(tokens, **kwargs)
        self._query_ids = itertools.count(1)

    # -- simulated user actions ------------------------------------------------------------------

    def send_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        token: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> Update:
        """The user sends a text message (a leading /command is marked as one)."""
        if not text:
            raise EmulatorError("text must not be empty")
        bot, user, chat = self._actor(user_id, chat_id, token)
        message = bot.add_message(
            chat, user, text=text, entities=_command_entities(text), reply_to_message_id=reply_to_message_id
        )
        return self._emit_message(bot, message)

    def send_photo(
        self,
        user_id: int,
        data: bytes,
        *,
        caption: str | None = None,
        file_name: str = "photo.jpg",
        chat_id: int | None = None,
        token: str | None = None,
    ) -> Update:
        """The user sends a photo; its bytes become a stored file the bot can getFile."""
        bot, user, chat = self._actor(user_id, chat_id, token)
        stored = self.files.put(data, "photo", file_name=file_name)
        message = bot.add_message(
            chat, user, caption=caption, content={"photo": media_payload(stored, "photo")}
        )
        return self._emit_message(bot, message)

    def press_button(
        self,
        user_id: int,
        message_id: int,
        *,
        callback_data: str | None = None,
        button_text: str | None = None,
        chat_id: int | None = None,
        token: str | None = None,
    ) -> Update:
        """The user presses an inline button (by callback_data or label) on one of the bot's messages.

        On a message sent via the bot (an inline message) the callback_query carries its
        inline_message_id instead of the message, as in Telegram.
        """
        bot, user, chat = self._actor(user_id, chat_id, token)
        message = bot.message(chat.id, message_id)
        via_this_bot = (
            message is not None and message.via_bot is not None and message.via_bot.id == bot.user.id
        )
        if message is None or not (message.from_bot or via_this_bot):
            raise EmulatorError(f"no bot message {message_id} in chat {chat.id}")
        data = _find_callback_data(message, callback_data, button_text)
        inline_id = message.internal.get("inline_message_id") if via_this_bot else None
        record = CallbackRecord(
            id=self._next_query_id(bot),
            user_id=user.id,
            chat_id=chat.id,
            message_id=message_id,
            data=data,
            inline_message_id=inline_id,
        )
        bot.callback_queries[record.id] = record
        payload: dict[str, Any] = {"id": record.id, "from": user.to_api()}
        if inline_id is not None:
            payload["inline_message_id"] = inline_id
        else:
            payload["message"] = message.to_api()
        payload.update(chat_instance=str(abs(chat.id) * 31 + bot.user.id), data=data)
        return self._emit(bot, UpdateKind.CALLBACK_QUERY, payload, chat.id)

    def press_inline_button(
        self,
        user_id: int,
        inline_message_id: str,
        *,
        callback_data: str | None = None,
        button_text: str | None = None,
        token: str | None = None,
    ) -> Update:
        """The user presses a button on a message sent via the bot, named by its inline_message_id."""
        bot = self.bot(token)
        message = bot.inline_message(inline_message_id)
        if message is None:
            raise EmulatorError(f"no inline message {inline_message_id}")
        return self.press_button(
            user_id,
            message.message_id,
            callback_data=callback_data,
            button_text=button_text,
            chat_id=message.chat.id,
            token=token,
        )

    def send_inline_query(
        self,
        user_id: int,
        query: str,
        *,
        chat_id: int | None = None,
        offset: str = "",
        token: str | None = None,
    ) -> Update:
        """The user types ``@bot query`` in a chat: the bot gets an inline_query to answer."""
        if len(query) > 256:
            raise EmulatorError("an inline query is at most 256 characters")
        bot, user, chat = self._actor(user_id, chat_id, token)
        record = InlineQueryRecord(
            id=self._next_query_id(bot),
            user_id=user.id,
            chat_id=chat.id,
            query=query,
            offset=offset,
            chat_type=_inline_chat_type(chat, user),
        )
        bot.inline_queries[record.id] = record
        payload = {
            "id": record.id,
            "from": user.to_api(),
            "query": query,
            "offset": offset,
            "chat_type": record.chat_type,
        }
        return self._emit(bot, UpdateKind.INLINE_QUERY, payload, user.id)

    def choose_inline_result(
        self, user_id: int, inline_query_id: str, result_id: str, *, token: str | None = None
    ) -> Message:
        """The user picks one of the answered results: it is sent "via @bot" into the query's chat.

        The message gets an inline_message_id (the bot edits it by that id). When the chat is one the
        bot is in (the user's chat with it, a group) the bot also gets the message; with inline
        feedback on it gets a chosen_inline_result.
        """
        bot = self.bot(token)
        record = bot.inline_queries.get(inline_query_id)
        if record is None or record.user_id != user_id:
            raise EmulatorError(f"user {user_id} typed no inline query {inline_query_id}")
        result = record.result(result_id)
        if result is None:
            raise EmulatorError(f"inline query {inline_query_id} has no result {result_id!r}")
        message = self._post_via_bot(bot, record, result)
        inline_id = bot.add_inline_message(message)
        self._emit_message(bot, message)
        if bot.inline_feedback:
            chosen = {
                "result_id": result_id,
                "from": self.user(user_id).to_api(),
                "query": record.query,
                "inline_message_id": inline_id if message.reply_markup else None,
            }
            chosen = {key: value for key, value in chosen.items() if value is not None}
            self._emit(bot, UpdateKind.CHOSEN_INLINE_RESULT, chosen, user_id)
        return message

    def _post_via_bot(self, bot: BotState, record: InlineQueryRecord, result: dict[str, Any]) -> Message:
        """The message a chosen result makes, from the user, via the bot."""
        chat, user = self.chats[record.chat_id], self.user(record.user_id)
        markup = result.get("reply_markup")
        content = result.get("input_message_content")
        if isinstance(content, dict):
            text, entities = format_text(
                str(content["message_text"]), content.get("parse_mode"), content.get("entities")
            )
            return bot.add_message(
                chat, user, text=text, entities=entities, reply_markup=markup, via_bot=bot.user
            )
        file_id = result.get("photo_file_id")
        stored = self.files.find(str(file_id)) if file_id else None
        if stored is None:
            raise EmulatorError("choosing a photo result is emulated only with a known photo_file_id")
        return bot.add_message(
            chat,
            user,
            caption=result.get("caption"),
            reply_markup=markup,
            via_bot=bot.user,
            content={"photo": media_payload(stored, "photo")},
        )

    def pay_invoice(
        self, user_id: int, message_id: int, *, chat_id: int | None = None, token: str | None = None
    ) -> Update:
        """The user pays an invoice message: the bot gets a pre_checkout_query to answer.

        When the bot answers ok, the successful_payment message follows (see `complete_checkout`).
        """
        bot, user, chat = self._actor(user_id, chat_id, token)
        return self._checkout(bot, user, chat, chat.id, message_id)

    def pay_forwarded_invoice(
        self, user_id: int, from_chat_id: int, message_id: int, *, token: str | None = None
    ) -> Update:
        """The user pays an invoice someone forwarded them from `from_chat_id` (a chat they need not be in).

        Bot API, sendInvoice `start_parameter`: "If left empty, forwarded copies of the sent message
        will have a Pay button, allowing multiple users to pay directly from the forwarded message,
        using the same invoice. If non-empty, forwarded copies of the sent message will have a URL
        button with a deep link to the bot (instead of a Pay button)". The query carries the original
        invoice (its payload and price) and comes from the payer; the payment lands in the payer's chat
        with the bot.
        """
        bot, user, chat = self._actor(user_id, None, token)
        return self._checkout(bot, user, chat, from_chat_id, message_id, forwarded=True)

    def _checkout(
        self,
        bot: BotState,
        user: User,
        chat: Chat,
        invoice_chat_id: int,
        message_id: int,
        *,
        forwarded: bool = False,
    ) -> Update:
        message = bot.message(invoice_chat_id, message_id)
        invoice = message.content.get("invoice") if message else None
        if message is None or invoice is None:
            raise EmulatorError(f"no invoice message {message_id} in chat {invoice_chat_id}")
        if forwarded and invoice.get("start_parameter"):
            raise EmulatorError(
                "a forwarded invoice with a start_parameter has a deep link, not a Pay button"
            )
        record = CheckoutRecord(
            id=self._next_query_id(bot),
            user_id=user.id,
            chat_id=chat.id,
            invoice_message_id=message_id,
            currency=invoice["currency"],
            total_amount=invoice["total_amount"],
            payload=message.internal["invoice_payload"],
        )
        bot.checkouts[record.id] = record
        payload = {
            "id": record.id,
            "from": user.to_api(),
            "currency": record.currency,
            "total_amount": record.total_amount,
            "invoice_payload": record.payload,
        }
        return self._emit(bot, UpdateKind.PRE_CHECKOUT_QUERY, payload, user.id)

    def complete_checkout(self, bot: BotState, record: CheckoutRecord) -> Update:
        """After an ok answer: the user's successful_payment message reaches the bot."""
        charge_id = f"stxEMU{record.id}"
        bot.payments[charge_id] = PaymentRecord(
            charge_id=charge_id,
            user_id=record.user_id,
            chat_id=record.chat_id,
            currency=record.currency,
            total_amount=record.total_amount,
            payload=record.payload,
        )
        payment = {
            "currency": record.currency,
            "total_amount": record.total_amount,
            "invoice_payload": record.payload,
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": f"prov{record.id}",
        }
        chat = self.chats[record.chat_id]
        message = bot.add_message(chat, self.users[record.user_id], content={"successful_payment": payment})
        return self._emit_message(bot, message)

    # -- queries ---------------------------------------------------------------------------------

    def chat_messages(
        self, chat_id: int, *, token: str | None = None, include_deleted: bool = False
    ) -> list[Message]:
        """The chat's history with the bot, edits applied in place."""
        return self.bot(token).messages(chat_id, include_deleted=include_deleted)

    def bot_replies(self, chat_id: int, *, token: str | None = None) -> list[Message]:
        """Only the bot's messages in the chat."""
        return [m for m in self.chat_messages(chat_id, token=token) if m.from_bot]

    # -- helpers ---------------------------------------------------------------------------------

    def _actor(self, user_id: int, chat_id: int | None, token: str | None) -> tuple[BotState, User, Chat]:
        """Resolve who acts where; the user must be a member of the chat."""
        user = self.user(user_id)
        chat = self.chats.get(user_id if chat_id is None else chat_id)
        if chat is None or user_id not in chat.member_ids:
            raise EmulatorError(f"user {user_id} is not in chat {chat_id}")
        return self.bot(token), user, chat

    def _next_query_id(self, bot: BotState) -> str:
        return f"{bot.user.id}{next(self._query_ids):09d}"

    def _emit_message(self, bot: BotState, message: Message) -> Update:
        reply_to = bot.message(message.chat.id, message.reply_to_message_id or 0)
        return self._emit(bot, UpdateKind.MESSAGE, message.to_api(reply_to=reply_to), message.chat.id)

    def _emit(self, bot: BotState, kind: UpdateKind, payload: dict[str, Any], chat_key: int) -> Update:
        update = bot.enqueue(kind, payload, chat_key)
        self.changes.notify()
        return update


def _inline_chat_type(chat: Chat, user: User) -> str:
    """chat_type of an inline query: "sender" in the user's own chat with the bot, else the chat's type."""
    if chat.type is ChatType.PRIVATE and chat.id == user.id:
        return "sender"
    return chat.type.value


def _find_callback_data(message: Message, callback_data: str | None, button_text: str | None) -> str:
    """The callback_data of the pressed button; it must be on the message's inline keyboard."""
    rows = (message.reply_markup or {}).get("inline_keyboard") or []
    for button in (b for row in rows for b in row):
        data = button.get("callback_data")
        if data is None:
            continue
        if callback_data is not None and data == callback_data:
            return str(data)
        if callback_data is None and button_text is not None and button.get("text") == button_text:
            return str(data)
    wanted = callback_data if callback_data is not None else button_text
    raise EmulatorError(f"message {message.message_id} has no callback button {wanted!r}")
