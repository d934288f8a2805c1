"""English messages that put buying credits one tap away: buttons, the shortfall, Continue, commands."""

MESSAGES: dict[str, str] = {
    "btn_buy": "💳 Buy credits",
    "btn_continue": "▶ Continue: {model} · {price}",
    "money_pack_enough": "{credits} · {stars} ⭐ · enough for this run",
    "money_packs_short": "This run needs {missing} more.",
    "cmd_buy": "Buy credits",
    "cmd_invite": "Invite a friend, both get credits",
    "cmd_promo": "Use a promo code",
    "cmd_support": "Write to support",
    "cmd_terms": "Terms and refunds",
}
