"""Русские сообщения платежей, приглашений, промокодов, ограничений и команд администратора.

Merged into the Russian catalog; money_en.py holds the same keys.
"""

MESSAGES: dict[str, str] = {
    # gate and limits
    "money_banned": "Извините, этот аккаунт больше не может пользоваться ботом. По вопросам: /paysupport.",
    "money_slow_down": "Слишком много сразу. Пожалуйста, подождите немного и попробуйте снова.",
    "money_too_many_jobs": (
        "У вас уже идут генерации: {limit}. Дождитесь, пока одна из них закончится, и попробуйте снова."
    ),
    "money_daily_cap": (
        "Этот запуск превысит сегодняшний лимит трат: {cap}. Сегодня можно потратить ещё {left}; "
        "лимит обновляется в полночь по UTC."
    ),
    # buying credits
    "money_packs": "Ваш баланс: {balance}.\n\nВыберите пакет кредитов за Telegram Stars:",
    "money_pack_button": "{credits} · {stars} ⭐",
    "money_invoice_title": "{credits}",
    "money_invoice_description": "{credits} для генераций в этом боте. Не сгорают.",
    "money_invoice_label": "{credits}",
    "money_checkout_unknown_pack": "Этот пакет больше не продаётся. Откройте /buy ещё раз.",
    "money_checkout_price_changed": "Цена пакета изменилась. Откройте /buy ещё раз.",
    "money_checkout_banned": "Извините, этот аккаунт больше не может совершать покупки.",
    "money_paid": "✅ Оплата получена: +{credits} за {stars} ⭐. Ваш баланс: {balance}.",
    "money_paysupport": (
        "Поддержка по оплате: опишите проблему одним сообщением и приложите чек платежа; "
        "администратор ответит здесь. Ваш id: {user_id}.\n\n"
        "Неизрасходованные кредиты покупки можно вернуть в Stars по запросу."
    ),
    "money_terms": (
        "Условия: кредиты покупаются за Telegram Stars и оплачивают генерации по цене, показанной перед "
        "каждым запуском. Неудачная генерация или отменённая до того, как модель её начала, возвращает "
        "кредиты на баланс; начатая моделью генерация доставляется и оплачивается. Ещё не "
        "потраченные кредиты можно вернуть в Stars через /paysupport. Не запрашивайте контент, нарушающий "
        "закон или правила моделей; такие аккаунты могут быть заблокированы."
    ),
    # referrals and promo codes
    "money_referral_joined": (
        "Вы пришли по приглашению друга: после вашей первой покупки вы оба получите {bonus}."
    ),
    "money_referral_paid_new": "🎁 Бонус за приглашение: +{bonus}.",
    "money_referral_paid_referrer": "🎁 Приглашённый вами друг сделал первую покупку: вам +{bonus}.",
    "money_invite": (
        "Ваша ссылка-приглашение:\n{link}\n\nКогда друг придёт по ней "
        "и купит кредиты, вы оба получите {bonus}."
    ),
    "money_promo_usage": "Отправьте код так: /promo КОД",
    "money_promo_ok": "🎁 Код принят: +{credits}. Ваш баланс: {balance}.",
    "money_promo_unknown": "Такого кода нет. Проверьте написание.",
    "money_promo_expired": "Извините, срок действия кода истёк.",
    "money_promo_exhausted": "Извините, этот код уже израсходован.",
    "money_promo_already_used": "Вы уже использовали этот код.",
    # admin
    "admin_none": "нет",
    "admin_unknown": "неизвестно",
    "admin_active": "активен",
    "admin_banned": "заблокирован",
    "admin_jobs_line": "  {name}: {count}",
    "admin_spend_line": "  {model}: запусков {runs}, кредитов {credits}",
    "admin_dashboard": (
        "📊 Пользователи: {total} (новых сегодня {new_today}, платящих {paying}, заблокировано {banned})\n"
        "Задачи по состояниям:\n{jobs}\n"
        "Выручка: {stars} ⭐ = {credits} кредитов (без возвратов)\n"
        "Баланс KIE: {kie}\n"
        "Траты по моделям:\n{spend}"
    ),
    "admin_ledger_line": "{date} {amount} {kind} · {reason} → {balance}",
    "admin_user": (
        "👤 {id} @{username} ({language_code}), {state}\n"
        "Баланс: {balance} · с {created} · пригласил {referrer}\n"
        "Платежи: {payments} ({stars} ⭐) · задачи: {jobs}\n\n"
        "Движения:\n{ledger}"
    ),
    "admin_unknown_user": "Пользователь {id} боту неизвестен.",
    "admin_take_too_much": "У пользователя {id} {balance} кредитов; списать {amount} нельзя.",
    "admin_changed": "Готово: {amount} кредитов пользователю {id}, баланс теперь {balance}.",
    "admin_banned_done": "Пользователь {id} заблокирован.",
    "admin_unbanned_done": "Пользователь {id} разблокирован.",
    "admin_refund_unknown": "Платежа с charge id {charge} нет.",
    "admin_refund_spent": (
        "Возврат {charge} отклонён: у пользователя осталось {balance} кредитов, а покупка дала {credits}; "
        "они уже потрачены."
    ),
    "admin_refund_already": "Возврат {charge} отклонён: он уже был возвращён.",
    "admin_refund_telegram": "Возврат {charge} не прошёл в Telegram ({error}); ничего не изменено.",
    "admin_refund_done": "Возвращено {charge}: {stars} ⭐ пользователю {id}, списано {credits} кредитов.",
    "admin_broadcast_started": "Рассылка #{id} начата: {recipients} получателей. Сообщу, когда закончится.",
    "admin_broadcast_done": (
        "Рассылка #{id} завершена: доставлено {delivered}, заблокировали бота {blocked}, ошибок {failed}."
    ),
    "admin_promo_exists": "Код {code} уже существует.",
    "admin_promo_created": "Код {code} создан: {credits} кредитов, {uses} использований, {days} дн.",
    "admin_money": (
        "💰 Деньги за {days} дн. (списано с пользователей против потраченного в KIE):\n{lines}\n\n"
        "Под подозрением:\n{flagged}\n\nПолный отчёт: make money-report"
    ),
    "admin_money_line": "{model}: {jobs} задач · оплачено {captured} · KIE {kie} · маржа {margin}",
    "admin_money_flag": "⚠️ {job} {model}: {why}",
    "admin_money_total": "Итого",
    "admin_money_clean": "нет: каждый кредит KIE покрыт тем, что заплатил пользователь",
    "admin_usage_money": "Использование: /money [дней, 1-366]",
    "admin_usage_admin": "Использование: /admin",
    "admin_usage_user": "Использование: /user <id пользователя>",
    "admin_usage_grant": "Использование: /grant <id> <сумма> <причина>",
    "admin_usage_take": "Использование: /take <id> <сумма> <причина>",
    "admin_usage_ban": "Использование: /ban <id>",
    "admin_usage_unban": "Использование: /unban <id>",
    "admin_usage_refund": "Использование: /refund <telegram_payment_charge_id>",
    "admin_usage_broadcast": "Использование: /broadcast <текст>",
    "admin_usage_promo_new": "Использование: /promo_new КОД КРЕДИТЫ ИСПОЛЬЗОВАНИЙ ДНЕЙ",
}
