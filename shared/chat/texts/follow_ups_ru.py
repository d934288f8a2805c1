"""Русские тексты действий над готовым результатом (1080p/4K, U1-U4/V1-V4). Ключи как в
follow_ups_en.py."""

MESSAGES: dict[str, str] = {
    "btn_follow_1080p": "⬆️ 1080p",
    "btn_follow_4k": "⬆️ 4K",
    "btn_follow_upscale": "U{n}",
    "btn_follow_vary": "V{n}",
    "btn_follow_extend": "⏩ Продолжить {n}",
    "follow_extend": "продолжение трека {n}",
    "follow_1080p": "версия 1080p",
    "follow_4k": "версия 4K",
    "follow_upscale": "картинка {n} в большем размере",
    "follow_vary": "вариации картинки {n}",
    "follow_result": "{model} · {action}",
    "follow_confirm": "{model}: {action}.\nЦена: {price}. На балансе: {balance}.",
    "btn_follow_run": "✅ Запустить · {price}",
    "btn_follow_retry": "🔁 Попробовать ещё раз",
    "follow_unavailable": "Это действие недоступно для этого результата.",
}
