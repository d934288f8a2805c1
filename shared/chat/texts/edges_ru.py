"""Russian sentences where money meets its edges: Cancel after KIE started, payments that do not match,
results Telegram would not take. Keys are shared with edges_en.py (issue 13 keeps its own block)."""

MESSAGES: dict[str, str] = {
    "btn_stop_waiting": "✋ Не ждать",
    "job_stop_waiting": (
        "Ждать не будем. Модель уже начала эту генерацию, и она оплачена, поэтому {credits} не "
        "возвращаются. Результат всё равно придёт в этот чат, когда будет готов."
    ),
    "job_stop_waiting_again": "Вы уже перестали ждать; результат всё равно придёт в этот чат.",
    "money_checkout_forged": (
        "Этот счёт выставлен не вам или не этим ботом. Откройте /buy и оплатите счёт, который он пришлёт."
    ),
    "money_checkout_wrong_amount": "Сумма не совпадает с ценой пакета. Откройте /buy ещё раз.",
    "money_payment_mismatch": (
        "Этот платёж не совпадает со счётом, который прислал бот, поэтому кредиты не начислены. "
        "Администраторы уже знают и разберутся; укажите номер платежа {charge} в /paysupport."
    ),
    "failure_undeliverable": (
        "Результат готов, но Telegram не принял файл (ни как медиа, ни как документ), поэтому доставить "
        "его не удалось. {credits} вернулись на баланс."
    ),
    "failure_unreachable": "Результат не удалось доставить в этот чат. {credits} вернулись на баланс.",
    "admin_refund_pending": (
        "Возврат {charge}: Telegram не ответил. Кредиты удержаны; выполните /refund {charge} ещё раз, "
        "чтобы завершить возврат."
    ),
    "failure_banned": "Аккаунт заблокирован, поэтому результат не доставлен. {credits} вернулись на баланс.",
}
