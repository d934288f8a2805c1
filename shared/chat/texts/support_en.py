"""English messages of support tickets: asking, relaying to admins, answers back, /admin list."""

MESSAGES: dict[str, str] = {
    "support_ask": (
        "Write your question in one message and I will pass it to a person. "
        "For a payment, include what you bought and when. Your account id: {user_id}."
    ),
    "support_sent": "✉️ Sent to support (ticket #{ticket}). The answer will come to this chat.",
    "support_card": (
        "🆘 Ticket #{ticket} · {topic}\n"
        "From {name} (@{username}, id {user_id}, {lang})\n"
        "Balance: {balance} · payments: {payments} ({stars} ⭐) · jobs: {jobs}\n\n"
        "{text}\n\n"
        "Reply to this message to answer; /close {ticket} when done."
    ),
    "support_topic_general": "question",
    "support_topic_payment": "payment",
    "support_answer": "💬 Support answers:\n\n{text}\n\nReply with /support to write again.",
    "support_delivered": "Delivered to user {user_id} (ticket #{ticket}).",
    "support_closed": "Ticket #{ticket} closed.",
    "support_not_open": "Ticket #{ticket} is not open.",
    "support_open_title": "Open tickets:\n{lines}",
    "support_open_line": "#{ticket} · user {user_id} · {topic} · since {date}",
    "admin_usage_close": "Usage: /close <ticket number>",
}
