"""English messages of inline mode: ``@bot <prompt>`` in any chat."""

MESSAGES: dict[str, str] = {
    "inline_title": "🖼 A picture · {price}",
    "inline_offer": "🖼 {name} is about to make a picture with {model}:\n«{prompt}»\n\nPrice: {price}.",
    "btn_inline_generate": "🚀 Generate · {price}",
    "inline_type_prompt": "Type what to draw after the bot's name",
    "inline_unfit": "This description does not fit {model}: open the bot",
    "inline_not_yours": "Only {name} can start this one. Type @{bot} and a description to make your own.",
    "inline_expired": "This offer has expired. Type @{bot} and the description again.",
    "inline_started": "Started: the picture will appear in this message.",
    "inline_already": "Already started.",
    "inline_progress": "⏳ {model} is drawing «{prompt}» for {name} ({price})…",
    "inline_insufficient_alert": (
        "Not enough credits: this picture costs {price}, your balance is {balance}. "
        "Buy credits in the bot, then press Generate again."
    ),
    "inline_insufficient": "{offer}\n\n💳 Not enough credits yet: top up in the bot, then press Generate.",
}
