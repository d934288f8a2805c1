"""The emulator's data model: users, chats, messages, updates and recorded calls.

Every object renders itself as the Bot API JSON the bot would receive (`to_api`). The model is plain
dataclasses so the sandbox web chat can query it directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = [
    "Chat",
    "ChatType",
    "Message",
    "RecordedCall",
    "Update",
    "UpdateKind",
    "User",
    "WebhookConfig",
    "WebhookStats",
]

JsonObject = dict[str, Any]


def _drop_none(data: JsonObject) -> JsonObject:
    """Remove absent optional fields, as Telegram omits them."""
    return {key: value for key, value in data.items() if value is not None}


@dataclass
class User:
    """A Telegram user or bot account."""

    id: int
    first_name: str
    is_bot: bool = False
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = None

    def to_api(self) -> JsonObject:
        """Render as a Bot API `User`."""
        return _drop_none(
            {
                "id": self.id,
                "is_bot": self.is_bot,
                "first_name": self.first_name,
                "last_name": self.last_name,
                "username": self.username,
                "language_code": self.language_code,
            }
        )


class ChatType(StrEnum):
    """Telegram chat types."""

    PRIVATE = "private"
    GROUP = "group"
    SUPERGROUP = "supergroup"
    CHANNEL = "channel"


@dataclass
class Chat:
    """A chat the bot can talk in; a private chat's id equals its user's id."""

    id: int
    type: ChatType
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    member_ids: set[int] = field(default_factory=set)

    def to_api(self) -> JsonObject:
        """Render as a Bot API `Chat`."""
        return _drop_none(
            {
                "id": self.id,
                "type": self.type.value,
                "title": self.title,
                "username": self.username,
                "first_name": self.first_name,
                "last_name": self.last_name,
            }
        )


@dataclass
class Message:
    """A message in a chat, as it stands now (edits are applied in place).

    `content` holds the kind-specific fields (photo, video, document, invoice, successful_payment,
    media_group_id, ...) exactly as the Bot API names them; `internal` holds what the server knows
    but never shows the bot (an invoice's payload, the parse_mode used).
    """

    message_id: int
    chat: Chat
    sender: User
    date: int
    text: str | None = None
    entities: list[JsonObject] | None = None
    caption: str | None = None
    caption_entities: list[JsonObject] | None = None
    reply_markup: JsonObject | None = None
    content: JsonObject = field(default_factory=dict)
    internal: JsonObject = field(default_factory=dict)
    reply_to_message_id: int | None = None
    via_bot: User | None = None  # the bot whose inline result the user sent
    edit_date: int | None = None
    edit_count: int = 0
    deleted: bool = False

    @property
    def from_bot(self) -> bool:
        """Whether the bot (rather than a simulated user) sent this message."""
        return self.sender.is_bot

    def to_api(self, *, reply_to: Message | None = None) -> JsonObject:
        """Render as a Bot API `Message`."""
        data: JsonObject = {
            "message_id": self.message_id,
            "from": self.sender.to_api(),
            "chat": self.chat.to_api(),
            "via_bot": self.via_bot.to_api() if self.via_bot is not None else None,
            "date": self.date,
            "edit_date": self.edit_date,
            "text": self.text,
            "entities": self.entities or None,
            "caption": self.caption,
            "caption_entities": self.caption_entities or None,
            "reply_markup": self._inline_markup(),
            **self.content,
        }
        if reply_to is not None:
            data["reply_to_message"] = reply_to.to_api()
        return _drop_none(data)

    def snapshot(self) -> JsonObject:
        """Render for the control API: the Bot API view plus emulator bookkeeping."""
        data = self.to_api()
        data["reply_markup"] = self.reply_markup
        data["emulator"] = _drop_none(
            {
                "deleted": self.deleted,
                "edit_count": self.edit_count,
                "from_bot": self.from_bot,
                "reply_to_message_id": self.reply_to_message_id,
                **self.internal,
            }
        )
        return _drop_none(data)

    def _inline_markup(self) -> JsonObject | None:
        """Only inline keyboards are echoed back on Message objects."""
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            return self.reply_markup
        return None


class UpdateKind(StrEnum):
    """The update types the emulator can produce."""

    MESSAGE = "message"
    EDITED_MESSAGE = "edited_message"
    CALLBACK_QUERY = "callback_query"
    INLINE_QUERY = "inline_query"
    CHOSEN_INLINE_RESULT = "chosen_inline_result"
    PRE_CHECKOUT_QUERY = "pre_checkout_query"


@dataclass
class Update:
    """An update waiting for (or already given) delivery to the bot.

    `chat_key` serialises delivery: updates with the same key are delivered one at a time, in order.
    """

    update_id: int
    kind: UpdateKind
    payload: JsonObject
    chat_key: int
    created_at: float
    delivered: bool = False
    attempts: int = 0

    def to_api(self) -> JsonObject:
        """Render as a Bot API `Update`."""
        return {"update_id": self.update_id, self.kind.value: self.payload}


@dataclass
class WebhookConfig:
    """What setWebhook registered."""

    url: str
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    allowed_updates: list[str] | None = None


@dataclass
class WebhookStats:
    """Delivery counters, kept across webhook changes."""

    attempts: int = 0
    failures: int = 0
    delivered: int = 0
    last_error_date: int | None = None
    last_error_message: str | None = None

    def to_api(self) -> JsonObject:
        """Render for the control API."""
        return {
            "attempts": self.attempts,
            "failures": self.failures,
            "delivered": self.delivered,
            "last_error_date": self.last_error_date,
            "last_error_message": self.last_error_message,
        }


@dataclass
class RecordedCall:
    """One Bot API call the bot made, with what the emulator answered."""

    seq: int
    token: str
    method: str
    params: JsonObject
    at: float
    status: int
    response: JsonObject
    fault: str = ""  # the injected fault kinds that shaped the answer (e.g. "slow", "429"), comma-separated

    @property
    def ok(self) -> bool:
        """Whether the emulator answered ok=true."""
        return bool(self.response.get("ok"))

    def to_api(self) -> JsonObject:
        """Render for the control API."""
        return {
            "seq": self.seq,
            "method": self.method,
            "params": self.params,
            "at": self.at,
            "status": self.status,
            "response": self.response,
            "fault": self.fault,
        }
