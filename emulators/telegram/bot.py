"""The server-side state of one bot: its update queue, webhook, chat histories and pending queries."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from typing import Any

from .model import Chat, Message, Update, UpdateKind, User, WebhookConfig, WebhookStats
from .records import CallbackRecord, CheckoutRecord, InlineQueryRecord, PaymentRecord
from .signals import ChangeSignal

__all__ = ["DEFAULT_ALLOWED_UPDATES_EXCLUDED", "BotState"]

# Telegram leaves these out unless they are asked for explicitly.
DEFAULT_ALLOWED_UPDATES_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class BotState:
    """One bot as the Bot API server knows it.

    Updates live in `pending` from injection until they are confirmed (getUpdates offset) or
    delivered (webhook 2xx). `updates` keeps every update ever made, for assertions.
    """

    def __init__(
        self, token: str, user: User, clock: Callable[[], float], *, first_update_id: int = 1
    ) -> None:
        self.token = token
        self.user = user
        self.webhook: WebhookConfig | None = None
        self.webhook_stats = WebhookStats()
        self.allowed_updates: list[str] | None = None
        self.pending: list[Update] = []
        self.updates: list[Update] = []
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        # Menu button per private chat; None is the bot's default button.
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.callback_queries: dict[str, CallbackRecord] = {}
        self.checkouts: dict[str, CheckoutRecord] = {}
        self.payments: dict[str, PaymentRecord] = {}
        self.inline_queries: dict[str, InlineQueryRecord] = {}
        # inline_message_id -> (chat_id, message_id) of a message a user sent via this bot
        self.inline_messages: dict[str, tuple[int, int]] = {}
        # chosen_inline_result updates are sent only with inline feedback on (@BotFather /setinlinefeedback)
        self.inline_feedback = False
        self.poll_generation = 0
        self.update_signal = ChangeSignal()
        self._clock = clock
        self._update_ids = itertools.count(first_update_id)
        self._messages: dict[int, dict[int, Message]] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._media_groups = itertools.count(13_000_000_000_000_001)

    def now(self) -> int:
        """The current Unix time from the injected clock."""
        return int(self._clock())

    # -- updates ---------------------------------------------------------------------------------

    def accepts(self, kind: UpdateKind) -> bool:
        """Whether the current allowed_updates let this kind through."""
        if not self.allowed_updates:
            return kind.value not in DEFAULT_ALLOWED_UPDATES_EXCLUDED
        return kind.value in self.allowed_updates

    def enqueue(self, kind: UpdateKind, payload: dict[str, Any], chat_key: int) -> Update:
        """Give the update the next update_id and queue it (unless allowed_updates filter it out)."""
        update = Update(
            update_id=next(self._update_ids),
            kind=kind,
            payload=payload,
            chat_key=chat_key,
            created_at=self._clock(),
        )
        self.updates.append(update)
        if self.accepts(kind):
            self.pending.append(update)
            self.update_signal.notify()
        return update

    def confirm_below(self, offset: int) -> None:
        """Forget pending updates with update_id < offset (getUpdates confirmation)."""
        kept = [u for u in self.pending if u.update_id >= offset]
        for update in self.pending:
            if update.update_id < offset:
                update.delivered = True
        self.pending = kept

    def mark_delivered(self, update: Update) -> None:
        """Remove an update the webhook accepted."""
        update.delivered = True
        self.pending = [u for u in self.pending if u is not update]
        self.update_signal.notify()

    def drop_pending(self) -> None:
        """drop_pending_updates=True: discard the backlog."""
        self.pending = []
        self.update_signal.notify()

    # -- messages --------------------------------------------------------------------------------

    def add_message(self, chat: Chat, sender: User, **fields: Any) -> Message:
        """Append a message to the chat with the chat's next message_id."""
        counter = self._message_ids.setdefault(chat.id, itertools.count(1))
        message = Message(
            message_id=next(counter), chat=chat, sender=sender, date=int(self._clock()), **fields
        )
        self._messages.setdefault(chat.id, {})[message.message_id] = message
        return message

    def message(self, chat_id: int, message_id: int) -> Message | None:
        """The message, if it exists and was not deleted."""
        found = self._messages.get(chat_id, {}).get(message_id)
        return None if found is None or found.deleted else found

    def messages(self, chat_id: int, *, include_deleted: bool = False) -> list[Message]:
        """The chat's messages in order."""
        found = self._messages.get(chat_id, {}).values()
        return [m for m in found if include_deleted or not m.deleted]

    def inline_message(self, inline_message_id: str) -> Message | None:
        """The message a user sent via this bot, by its inline_message_id."""
        place = self.inline_messages.get(inline_message_id)
        return None if place is None else self.message(*place)

    def add_inline_message(self, message: Message) -> str:
        """Give a message sent via this bot its inline_message_id."""
        digest = hashlib.sha256(f"{self.token}:{message.chat.id}:{message.message_id}".encode()).hexdigest()
        inline_id = f"EMUINL{len(self.inline_messages) + 1:06d}{digest[:20]}"
        self.inline_messages[inline_id] = (message.chat.id, message.message_id)
        message.internal["inline_message_id"] = inline_id
        return inline_id

    def new_media_group_id(self) -> str:
        """A fresh media_group_id."""
        return str(next(self._media_groups))

    def chat_ids(self) -> list[int]:
        """Chats with at least one message."""
        return list(self._messages)

    # -- webhook ---------------------------------------------------------------------------------

    def webhook_info(self) -> dict[str, Any]:
        """The getWebhookInfo answer."""
        info: dict[str, Any] = {
            "url": self.webhook.url if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.pending),
        }
        if self.webhook is not None:
            info["max_connections"] = self.webhook.max_connections
            if self.webhook.ip_address:
                info["ip_address"] = self.webhook.ip_address
            if self.allowed_updates:
                info["allowed_updates"] = list(self.allowed_updates)
            if self.webhook_stats.last_error_date is not None:
                info["last_error_date"] = self.webhook_stats.last_error_date
                info["last_error_message"] = self.webhook_stats.last_error_message
        return info
