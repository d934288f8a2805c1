"""English messages of the quick path: prompt screen, editable confirm, text typed at the menu."""

MESSAGES: dict[str, str] = {
    "quick_header": "{model} · {price}",
    "quick_header_from": "{model} · from {price}",
    "btn_model": "🔄 Model: {name}",
    "btn_quick_settings": "⚙️ Settings",
    "btn_generate_priced": "🚀 Generate · {price}",
    "btn_setting": "{label}: {value}",
    "confirm_hint": "Type a new text to replace the description, or tap a setting to change it.",
    "draft_offer": "What shall I make of this?\n\n{preview}",
    "btn_make_text-to-image": "🖼 An image",
    "btn_make_text-to-video": "🎬 A video",
    "btn_make_music": "🎵 A song",
    "btn_make_text-to-speech": "🗣 Speech",
    "btn_change_settings": "⚙️ Change settings",
    "job_final_cancelled": "✖️ {model}: cancelled. Returned to your balance: {credits}.",
    "draft_gone": "I no longer have that text. Please type it again. Here is the menu:",
}
