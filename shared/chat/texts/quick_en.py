"""English messages of the quick path: prompt screen, editable confirm, text typed at the menu."""

MESSAGES: dict[str, str] = {
    "quick_header": "{model} · {price}",
    "quick_header_from": "{model} · from {price}",
    "btn_model": "🔄 Model: {name}",
    "btn_quick_settings": "⚙️ Settings",
    "btn_generate_priced": "🚀 Generate · {price}",
    "btn_batch": "×{n} · {price}",
    "btn_setting": "{label}: {value}",
    "confirm_hint": "Type a new text to replace the description, or tap a setting to change it.",
    "draft_offer": "What shall I make of this?\n\n{preview}",
    "btn_make_text-to-image": "🖼 An image",
    "btn_make_text-to-video": "🎬 A video",
    "btn_make_music": "🎵 A song",
    "btn_make_text-to-speech": "🗣 Speech",
    "btn_change_settings": "⚙️ Change settings",
    "job_final_cancelled": "✖️ {model}: cancelled. Returned to your balance: {credits}.",
    "photo_offer": "What shall I do with this picture?",
    "photo_offer_caption": (
        "What shall I do with this picture? Your caption will be the instruction:\n\n{caption}"
    ),
    "btn_photo_image-edit": "✏️ Edit it",
    "btn_photo_image-to-video": "🎬 Animate",
    "btn_photo_upscale": "🔍 Upscale",
    "btn_photo_background-removal": "✂️ Remove background",
    "btn_photo_text-to-image": "🖼 Use as reference",
    "photo_gone": "I no longer have that picture. Please send it again. Here is the menu:",
    "draft_gone": "I no longer have that text. Please type it again. Here is the menu:",
}
