"""English sentences where money meets its edges: Cancel after KIE started, payments that do not match,
results Telegram would not take. Keys are shared with edges_ru.py (issue 13 keeps its own block)."""

MESSAGES: dict[str, str] = {
    "btn_stop_waiting": "✋ Stop waiting",
    "job_stop_waiting": (
        "Stopped waiting. The model had already started this generation and it is being paid for, so "
        "{credits} stay spent. The result will still arrive in this chat when it is ready."
    ),
    "job_stop_waiting_again": "You already stopped waiting; the result will still arrive in this chat.",
    "money_checkout_forged": (
        "This invoice was not issued to you by this bot. Please open /buy and pay the invoice it sends."
    ),
    "money_checkout_wrong_amount": "This amount does not match the pack's price. Please open /buy again.",
    "money_payment_mismatch": (
        "This payment does not match the invoice the bot sent, so no credits were added. The "
        "administrators have been told and will sort it out; please quote payment id {charge} in "
        "/paysupport."
    ),
    "failure_undeliverable": (
        "The result is ready, but Telegram would not accept the file (neither as media nor as a "
        "document), so it could not be delivered. {credits} are back on your balance."
    ),
    "failure_unreachable": (
        "The result could not be delivered to this chat. {credits} are back on your balance."
    ),
    "admin_refund_pending": (
        "Refund of {charge}: Telegram did not answer. The credits are held back; run /refund {charge} "
        "again to finish it."
    ),
    "failure_banned": (
        "This account was blocked, so the result was not delivered. {credits} are back on your balance."
    ),
}
