"""English texts of follow-ups on a delivered result (1080p/4K, U1-U4/V1-V4). Keys shared with
follow_ups_ru.py."""

MESSAGES: dict[str, str] = {
    "btn_follow_1080p": "⬆️ 1080p",
    "btn_follow_4k": "⬆️ 4K",
    "btn_follow_upscale": "U{n}",
    "btn_follow_vary": "V{n}",
    "btn_follow_extend": "⏩ Extend {n}",
    "follow_extend": "track {n} extended",
    "follow_1080p": "the 1080p version",
    "follow_4k": "the 4K version",
    "follow_upscale": "picture {n} upscaled",
    "follow_vary": "variations of picture {n}",
    "follow_result": "{model} · {action}",
    "follow_confirm": "{model}: {action}.\nPrice: {price}. Your balance: {balance}.",
    "btn_follow_run": "✅ Run · {price}",
    "btn_follow_retry": "🔁 Try again",
    "follow_unavailable": "This action is not available for this result.",
}
