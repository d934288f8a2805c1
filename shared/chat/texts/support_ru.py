"""Русские сообщения поддержки: вопрос, пересылка администраторам, ответ обратно, список в /admin."""

MESSAGES: dict[str, str] = {
    "support_ask": (
        "Напишите вопрос одним сообщением — я передам его человеку. "
        "Если дело в оплате, укажите, что и когда покупали. Номер вашего аккаунта: {user_id}."
    ),
    "support_sent": "✉️ Отправлено в поддержку (обращение №{ticket}). Ответ придёт в этот чат.",
    "support_card": (
        "🆘 Обращение №{ticket} · {topic}\n"
        "От {name} (@{username}, id {user_id}, {lang})\n"
        "Баланс: {balance} · оплат: {payments} ({stars} ⭐) · генераций: {jobs}\n\n"
        "{text}\n\n"
        "Ответьте на это сообщение, чтобы ответить; /close {ticket}, когда закончите."
    ),
    "support_topic_general": "вопрос",
    "support_topic_payment": "оплата",
    "support_answer": "💬 Ответ поддержки:\n\n{text}\n\nЧтобы написать ещё, отправьте /support.",
    "support_delivered": "Доставлено пользователю {user_id} (обращение №{ticket}).",
    "support_closed": "Обращение №{ticket} закрыто.",
    "support_not_open": "Обращение №{ticket} не открыто.",
    "support_open_title": "Открытые обращения:\n{lines}",
    "support_open_line": "№{ticket} · пользователь {user_id} · {topic} · с {date}",
    "admin_usage_close": "Как использовать: /close <номер обращения>",
}
