"""Bot API payment methods for Telegram Stars: sendInvoice, answerPreCheckoutQuery, refundStarPayment.

The user side (paying) is simulated by `BotApiState.pay_invoice`; an ok answer to the resulting
pre_checkout_query makes the successful_payment message follow.
"""

from __future__ import annotations

from typing import Any

from .call import MethodCall, MethodTable
from .errors import BadRequest
from .methods_messages import reply_target, send_and_render
from .validation import check_reply_markup

__all__ = ["PAYMENT_METHODS"]

STARS = "XTR"


def _prices(call: MethodCall, currency: str) -> list[dict[str, Any]]:
    """Labeled prices: a non-empty array of {label, amount}; Stars invoices take exactly one."""
    prices = call.params.get_json("prices")
    if not isinstance(prices, list) or not prices:
        raise BadRequest("prices must be a non-empty array")
    for price in prices:
        if not isinstance(price, dict) or not isinstance(price.get("label"), str):
            raise BadRequest("can't parse prices JSON object")
        if not isinstance(price.get("amount"), int) or price["amount"] <= 0:
            raise BadRequest("CURRENCY_TOTAL_AMOUNT_INVALID")
    if currency == STARS and len(prices) != 1:
        raise BadRequest("STARS_INVOICE_INVALID")
    return prices


def _invoice_fields(call: MethodCall) -> tuple[str, str, str, str]:
    """title (1-32), description (1-255), payload (1-128 bytes), currency."""
    params = call.params
    title = params.get_str("title", required=True) or ""
    description = params.get_str("description", required=True) or ""
    payload = params.get_str("payload", required=True) or ""
    currency = (params.get_str("currency", required=True) or "").upper()
    if len(title) > 32:
        raise BadRequest("INVOICE_TITLE_INVALID")  # unverified wording
    if len(description) > 255:
        raise BadRequest("INVOICE_DESCRIPTION_INVALID")
    if len(payload.encode("utf-8")) > 128:
        raise BadRequest("INVOICE_PAYLOAD_INVALID")
    if currency != STARS and not params.get_str("provider_token"):
        raise BadRequest("PAYMENT_PROVIDER_INVALID")
    return title, description, payload, currency


async def send_invoice(call: MethodCall) -> dict[str, Any]:
    """sendInvoice: an invoice message the simulated user can pay."""
    chat = call.chat()
    title, description, payload, currency = _invoice_fields(call)
    prices = _prices(call, currency)
    invoice = {
        "title": title,
        "description": description,
        "start_parameter": call.params.get_str("start_parameter") or "",
        "currency": currency,
        "total_amount": sum(int(p["amount"]) for p in prices),
    }
    message = call.bot.add_message(
        chat,
        call.bot.user,
        reply_markup=check_reply_markup(call.params.get_json("reply_markup"), inline_only=True),
        reply_to_message_id=reply_target(call, chat.id),
        content={"invoice": invoice},
        internal={"invoice_payload": payload, "prices": prices},
    )
    return send_and_render(call, message)


async def answer_pre_checkout_query(call: MethodCall) -> bool:
    """answerPreCheckoutQuery: ok=true completes the payment; ok=false needs an error_message."""
    query_id = call.params.get_str("pre_checkout_query_id", required=True) or ""
    record = call.bot.checkouts.get(query_id)
    if record is None or record.ok is not None:
        raise BadRequest("QUERY_ID_INVALID")
    ok = call.params.get_bool("ok")
    error_message = call.params.get_str("error_message")
    if not ok and not error_message:
        raise BadRequest("error_message is empty")
    record.ok, record.error_message = ok, error_message
    if ok:
        call.state.complete_checkout(call.bot, record)
    call.state.changes.notify()
    return True


async def refund_star_payment(call: MethodCall) -> bool:
    """refundStarPayment: each charge can be refunded once, to the user who paid."""
    user_id = call.params.get_int("user_id", required=True)
    charge_id = call.params.get_str("telegram_payment_charge_id", required=True) or ""
    payment = call.bot.payments.get(charge_id)
    if payment is None or payment.user_id != user_id:
        raise BadRequest("CHARGE_NOT_FOUND")
    if payment.refunded:
        raise BadRequest("CHARGE_ALREADY_REFUNDED")
    payment.refunded = True
    call.state.changes.notify()
    return True


PAYMENT_METHODS: MethodTable = {
    "sendInvoice": send_invoice,
    "answerPreCheckoutQuery": answer_pre_checkout_query,
    "refundStarPayment": refund_star_payment,
}
