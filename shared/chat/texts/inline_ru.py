"""Russian messages of inline mode: ``@bot <описание>`` в любом чате."""

MESSAGES: dict[str, str] = {
    "inline_title": "🖼 Картинка · {price}",
    "inline_offer": "🖼 {name} сейчас сделает картинку моделью {model}:\n«{prompt}»\n\nЦена: {price}.",
    "btn_inline_generate": "🚀 Создать · {price}",
    "inline_type_prompt": "Напишите после имени бота, что нарисовать",
    "inline_unfit": "Это описание не подходит для {model}: откройте бота",
    "inline_not_yours": "Запустить может только {name}. Напишите @{bot} и описание, чтобы сделать свою.",
    "inline_expired": "Предложение устарело. Напишите @{bot} и описание ещё раз.",
    "inline_started": "Запущено: картинка появится в этом сообщении.",
    "inline_already": "Уже запущено.",
    "inline_progress": "⏳ {model} рисует «{prompt}» для {name} ({price})…",
    "inline_insufficient_alert": (
        "Не хватает кредитов: картинка стоит {price}, на балансе {balance}. "
        "Пополните баланс в боте и нажмите «Создать» ещё раз."
    ),
    "inline_insufficient": (
        "{offer}\n\n💳 Пока не хватает кредитов: пополните баланс в боте и нажмите «Создать»."
    ),
}
