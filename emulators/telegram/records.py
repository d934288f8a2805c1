"""Records of interactions that span several calls: callback queries, checkouts and payments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CallbackRecord", "CheckoutRecord", "InlineQueryRecord", "PaymentRecord"]


@dataclass
class CallbackRecord:
    """A button press sent to the bot, and the bot's answerCallbackQuery (if any)."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answer: dict[str, Any] | None = None
    inline_message_id: str | None = None  # set when the button is on a message sent via the bot

    @property
    def answered(self) -> bool:
        """Whether the bot answered the query."""
        return self.answer is not None


@dataclass
class InlineQueryRecord:
    """An inline query a user typed (``@bot query`` in `chat_id`), and the bot's answerInlineQuery."""

    id: str
    user_id: int
    chat_id: int
    query: str
    offset: str
    chat_type: str
    answer: dict[str, Any] | None = None

    @property
    def answered(self) -> bool:
        """Whether the bot answered the query."""
        return self.answer is not None

    def result(self, result_id: str) -> dict[str, Any] | None:
        """The answered result with this id, if any."""
        for result in (self.answer or {}).get("results", []):
            if result.get("id") == result_id:
                return dict(result)
        return None

    def to_api(self) -> dict[str, Any]:
        """Render for the control API."""
        return {
            "id": self.id,
            "user_id": self.user_id,
            "chat_id": self.chat_id,
            "query": self.query,
            "offset": self.offset,
            "chat_type": self.chat_type,
            "answer": self.answer,
        }


@dataclass
class CheckoutRecord:
    """A pre_checkout_query sent to the bot, and its answer."""

    id: str
    user_id: int
    chat_id: int
    invoice_message_id: int
    currency: str
    total_amount: int
    payload: str
    ok: bool | None = None
    error_message: str | None = None


@dataclass
class PaymentRecord:
    """A completed payment that the bot may refund."""

    charge_id: str
    user_id: int
    chat_id: int
    currency: str
    total_amount: int
    payload: str
    refunded: bool = False

    def to_api(self) -> dict[str, Any]:
        """Render for the control API."""
        return {
            "telegram_payment_charge_id": self.charge_id,
            "user_id": self.user_id,
            "chat_id": self.chat_id,
            "currency": self.currency,
            "total_amount": self.total_amount,
            "invoice_payload": self.payload,
            "refunded": self.refunded,
        }
