"""English messages of payments, referrals, promo codes, limits and the admin commands.

Merged into the English catalog; money_ru.py holds the same keys.
"""

MESSAGES: dict[str, str] = {
    # gate and limits
    "money_banned": "Sorry, this account can no longer use the bot. For questions, see /paysupport.",
    "money_slow_down": "That's a lot at once. Please wait a moment and try again.",
    "money_too_many_jobs": (
        "You already have {limit} generations running. Please wait for one of them to finish, then try again."
    ),
    "money_daily_cap": (
        "This run would pass today's spending limit of {cap}. You can still spend {left} today; "
        "the limit resets at midnight UTC."
    ),
    # buying credits
    "money_packs": "Your balance: {balance}.\n\nChoose a pack of credits to buy with Telegram Stars:",
    "money_pack_button": "{credits} · {stars} ⭐",
    "money_invoice_title": "{credits}",
    "money_invoice_description": "{credits} for generations in this bot. They never expire.",
    "money_invoice_label": "{credits}",
    "money_checkout_unknown_pack": "This pack is no longer on sale. Please open /buy again.",
    "money_checkout_price_changed": "The price of this pack has changed. Please open /buy again.",
    "money_checkout_banned": "Sorry, this account can no longer make purchases.",
    "money_paid": "✅ Payment received: +{credits} for {stars} ⭐. Your balance: {balance}.",
    "money_paysupport": (
        "Payment support: describe the problem in one message and include the payment receipt; "
        "an administrator will answer here. Your account id: {user_id}.\n\n"
        "Unspent credits of a purchase can be refunded in Stars on request."
    ),
    "money_terms": (
        "Terms: credits are bought with Telegram Stars and pay for generations at the price shown before "
        "each run. A failed generation, or one cancelled before the model started it, returns its credits "
        "to your balance; once the model started, the result is delivered and paid. Credits not yet "
        "spent can be refunded in Stars through /paysupport. Do not request content that breaks the law "
        "or the models' rules; accounts that do may be blocked."
    ),
    # referrals and promo codes
    "money_referral_joined": (
        "You came by a friend's invitation: you both get {bonus} after your first purchase."
    ),
    "money_referral_paid_new": "🎁 Invitation bonus: +{bonus}.",
    "money_referral_paid_referrer": "🎁 A friend you invited made their first purchase: +{bonus} for you.",
    "money_invite": (
        "Your invitation link:\n{link}\n\nWhen a friend joins by it and buys credits, you both get {bonus}."
    ),
    "money_promo_usage": "Send the code like this: /promo CODE",
    "money_promo_ok": "🎁 Code accepted: +{credits}. Your balance: {balance}.",
    "money_promo_unknown": "There is no such code. Please check the spelling.",
    "money_promo_expired": "Sorry, this code has expired.",
    "money_promo_exhausted": "Sorry, this code has been used up.",
    "money_promo_already_used": "You have already used this code.",
    # admin
    "admin_none": "none",
    "admin_unknown": "unknown",
    "admin_active": "active",
    "admin_banned": "banned",
    "admin_jobs_line": "  {name}: {count}",
    "admin_spend_line": "  {model}: {runs} runs, {credits} credits",
    "admin_dashboard": (
        "📊 Users: {total} (new today {new_today}, paying {paying}, banned {banned})\n"
        "Jobs by state:\n{jobs}\n"
        "Revenue: {stars} ⭐ = {credits} credits (refunds excluded)\n"
        "KIE balance: {kie}\n"
        "Spend per model:\n{spend}"
    ),
    "admin_ledger_line": "{date} {amount} {kind} · {reason} → {balance}",
    "admin_user": (
        "👤 {id} @{username} ({language_code}), {state}\n"
        "Balance: {balance} · joined {created} · referrer {referrer}\n"
        "Payments: {payments} ({stars} ⭐) · jobs: {jobs}\n\n"
        "Ledger:\n{ledger}"
    ),
    "admin_unknown_user": "User {id} is not known to the bot.",
    "admin_take_too_much": "User {id} has {balance} credits; {amount} cannot be taken.",
    "admin_changed": "Done: {amount} credits for user {id}, balance now {balance}.",
    "admin_banned_done": "User {id} is banned.",
    "admin_unbanned_done": "User {id} is unbanned.",
    "admin_refund_unknown": "No payment has the charge id {charge}.",
    "admin_refund_spent": (
        "Refund of {charge} refused: the user has {balance} credits left, but this purchase gave {credits}; "
        "they were already spent."
    ),
    "admin_refund_already": "Refund of {charge} refused: it was already refunded.",
    "admin_refund_telegram": "Refund of {charge} failed at Telegram ({error}); nothing was changed.",
    "admin_refund_done": "Refunded {charge}: {stars} ⭐ returned to user {id}, {credits} credits taken back.",
    "admin_broadcast_started": "Broadcast #{id} started to {recipients} users. I'll report when it is done.",
    "admin_broadcast_done": (
        "Broadcast #{id} finished: {delivered} delivered, {blocked} blocked the bot, {failed} failed."
    ),
    "admin_promo_exists": "The code {code} exists already.",
    "admin_promo_created": "Code {code} made: {credits} credits, {uses} uses, valid {days} days.",
    "admin_money": (
        "💰 Money, last {days} days (user credits captured against KIE credits consumed):\n{lines}\n\n"
        "Flagged:\n{flagged}\n\nThe whole report: make money-report"
    ),
    "admin_money_line": "{model}: {jobs} jobs · paid {captured} · KIE {kie} · margin {margin}",
    "admin_money_flag": "⚠️ {job} {model}: {why}",
    "admin_money_total": "Total",
    "admin_money_clean": "none: every KIE credit consumed was covered by what its user paid",
    "admin_usage_money": "Usage: /money [days, 1-366]",
    "admin_usage_admin": "Usage: /admin",
    "admin_usage_user": "Usage: /user <user id>",
    "admin_usage_grant": "Usage: /grant <user id> <amount> <reason>",
    "admin_usage_take": "Usage: /take <user id> <amount> <reason>",
    "admin_usage_ban": "Usage: /ban <user id>",
    "admin_usage_unban": "Usage: /unban <user id>",
    "admin_usage_refund": "Usage: /refund <telegram_payment_charge_id>",
    "admin_usage_broadcast": "Usage: /broadcast <text>",
    "admin_usage_promo_new": "Usage: /promo_new CODE CREDITS USES DAYS",
}
