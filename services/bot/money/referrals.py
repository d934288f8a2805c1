"""Referrals and gifts for users: ``/start ref_<code>``, /invite (the user's own link), /promo CODE."""

from __future__ import annotations

import structlog

from services.bot.handlers.turn import Turn
from services.bot.money.deps import MoneyDeps
from services.bot.views import Screen
from shared.money import Redemption, decode_code, encode_code, normalise_code

__all__ = ["note_referral", "on_promo", "send_invite"]

log = structlog.get_logger()


async def note_referral(turn: Turn, money: MoneyDeps, payload: str | None) -> None:
    """Before /start's welcome: record the referrer named by ``ref_<code>``, once, and say so."""
    referrer = decode_code(payload or "")
    if referrer is None:
        return
    await turn.deps.ledger.ensure_user(turn.user_id, language=turn.language.value)
    if await money.referrals.record(turn.user_id, referrer):
        log.info("referral_recorded")
        bonus = turn.deps.texts.credits(money.referral_bonus, turn.language)
        await turn.send(Screen(turn.t("money_referral_joined", bonus=bonus)))


async def send_invite(turn: Turn, money: MoneyDeps) -> None:
    """The user's referral link and what it pays."""
    link = f"https://t.me/{turn.bot.username}?start=ref_{encode_code(turn.user_id)}"
    bonus = turn.deps.texts.credits(money.referral_bonus, turn.language)
    await turn.send(Screen(turn.t("money_invite", link=link, bonus=bonus)))


async def on_promo(turn: Turn, money: MoneyDeps, argument: str) -> None:
    """/promo CODE: redeem a promo code, or say plainly why not."""
    code = normalise_code(argument) if argument else None
    if code is None:
        await turn.send(Screen(turn.t("money_promo_usage")))
        return
    redeemed = await money.promos.redeem(code, turn.user_id)
    texts = turn.deps.texts
    if redeemed.result is Redemption.OK:
        log.info("promo_redeemed", credits=redeemed.credits)
        text = turn.t(
            "money_promo_ok",
            credits=texts.credits(redeemed.credits, turn.language),
            balance=texts.credits(redeemed.balance, turn.language),
        )
    else:
        text = turn.t(f"money_promo_{redeemed.result.value}")
    await turn.send(Screen(text))
