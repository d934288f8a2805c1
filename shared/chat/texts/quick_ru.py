"""Русские сообщения быстрого пути: экран описания, правка на экране проверки, текст в меню."""

MESSAGES: dict[str, str] = {
    "quick_header": "{model} · {price}",
    "quick_header_from": "{model} · от {price}",
    "btn_model": "🔄 Модель: {name}",
    "btn_quick_settings": "⚙️ Настройки",
    "btn_generate_priced": "🚀 Создать · {price}",
    "btn_batch": "×{n} · {price}",
    "btn_setting": "{label}: {value}",
    "confirm_hint": (
        "Напишите новый текст, чтобы заменить описание, или нажмите на настройку, чтобы её изменить."
    ),
    "draft_offer": "Что из этого сделать?\n\n{preview}",
    "btn_make_text-to-image": "🖼 Картинку",
    "btn_make_text-to-video": "🎬 Видео",
    "btn_make_music": "🎵 Песню",
    "btn_make_text-to-speech": "🗣 Озвучку",
    "btn_change_settings": "⚙️ Изменить настройки",
    "job_final_cancelled": "✖️ {model}: отменено. Возвращено на баланс: {credits}.",
    "photo_offer": "Что сделать с этой картинкой?",
    "photo_offer_caption": "Что сделать с этой картинкой? Подпись станет заданием:\n\n{caption}",
    "btn_photo_image-edit": "✏️ Изменить",
    "btn_photo_image-to-video": "🎬 Оживить",
    "btn_photo_upscale": "🔍 Улучшить качество",
    "btn_photo_background-removal": "✂️ Убрать фон",
    "btn_photo_text-to-image": "🖼 Как образец",
    "photo_gone": "Этой картинки у меня уже нет. Пришлите её ещё раз. Вот меню:",
    "draft_gone": "Этого текста у меня уже нет. Напишите его ещё раз. Вот меню:",
}
