"""Telegram Stars: /buy with the packs, the invoice, the checkout check, crediting, /paysupport, /terms.

A receipt carries ▶ Continue when the user's wizard stands on its confirm screen and is now affordable:
one tap runs the generation they were short for.

The checkout is answered from one indexed read (pack and price come from settings), well inside
Telegram's 10 seconds. A successful payment is credited by ``PaymentStore.credit`` exactly once per
``telegram_payment_charge_id``; a repeat delivery gets the same receipt and changes nothing. Every
invoice payload is signed for its user, pack and price; a checkout or payment that does not match
(forged or foreign payload, other currency, other amount) credits nothing and alerts the admins.
"""

from __future__ import annotations

import structlog
from telegram import LabeledPrice, PreCheckoutQuery, SuccessfulPayment

from services.bot.handlers.deps import BotDeps
from services.bot.handlers.turn import Stale, Turn
from services.bot.money.deps import MoneyDeps
from services.bot.money.views import packs_screen
from services.bot.views import Button, Screen
from services.bot.views.confirm import CONFIRM_GENERATE
from services.bot.wizard.plan import plan
from shared.catalog import InputError
from shared.chat.callbacks import BUY_NEED, Callback, Op, encode
from shared.money import STARS, Checkout, Credited, PaymentMismatch, find_pack
from shared.money.alerting import MoneyAlerts

__all__ = ["answer_checkout", "on_buy", "on_paid", "send_packs", "send_terms"]

log = structlog.get_logger()


async def send_packs(turn: Turn, money: MoneyDeps, missing: int = 0) -> None:
    """The /buy screen: the balance and a button per pack (a shortfall's covering pack first)."""
    balance = await turn.deps.ledger.balance(turn.user_id)
    await turn.send(packs_screen(turn.deps.texts, turn.language, money.payments.packs, balance, missing))


async def on_buy(turn: Turn, money: MoneyDeps, callback: Callback) -> str | None:
    """A Buy button (the packs, for a shortfall) or a pack button (that pack's Stars invoice)."""
    amount = callback.arg(0) or ""
    if amount.startswith(BUY_NEED) and amount[1:].isdigit():
        await send_packs(turn, money, int(amount[1:]))
        return None
    pack = find_pack(money.payments.packs, int(amount)) if amount.isdigit() else None
    if pack is None:
        raise Stale()
    credits = turn.deps.texts.credits(pack.credits, turn.language)
    await turn.bot.send_invoice(
        chat_id=turn.chat_id,
        title=turn.t("money_invoice_title", credits=credits),
        description=turn.t("money_invoice_description", credits=credits),
        payload=money.payments.invoice_payload(pack, turn.user_id),
        currency=STARS,
        prices=[LabeledPrice(turn.t("money_invoice_label", credits=credits), pack.stars)],
        provider_token="",
    )
    log.info("invoice_sent", credits=pack.credits, stars=pack.stars)
    return None


async def answer_checkout(deps: BotDeps, money: MoneyDeps, query: PreCheckoutQuery) -> None:
    """Accept the checkout, or refuse it with a sentence the user reads in Telegram's payment form."""
    user = query.from_user
    verdict = await money.payments.check_checkout(
        user.id, query.invoice_payload, query.currency, query.total_amount
    )
    if verdict is Checkout.OK:
        await query.answer(ok=True)
        return
    language = await deps.prefs.language(user.id, user.language_code)
    await query.answer(ok=False, error_message=deps.texts.get(f"money_checkout_{verdict.value}", language))
    if not verdict.suspicious:
        log.info("checkout_refused", verdict=verdict.value)
        return
    log.warning("checkout_mismatch", verdict=verdict.value, currency=query.currency, total=query.total_amount)
    await _alerts(money).payment_mismatch(
        query.get_bot(),
        stage="checkout",
        verdict=verdict.value,
        user_id=user.id,
        total=query.total_amount,
        currency=query.currency,
    )


async def on_paid(turn: Turn, money: MoneyDeps, payment: SuccessfulPayment) -> None:
    """Credit the payment once and send the receipt (again, for a repeat delivery: same numbers).

    A payment that does not match its signed invoice credits nothing: the user is told politely
    (with the charge id, for support) and the admins are alerted.
    """
    try:
        credited = await money.payments.credit(
            turn.user_id,
            payment.telegram_payment_charge_id,
            payment.provider_payment_charge_id,
            payment.invoice_payload,
            currency=payment.currency,
            total=payment.total_amount,
        )
    except PaymentMismatch as exc:
        await _mismatch(turn, money, exc)
        return
    if credited.created:
        log.info("payment_credited", credits=credited.payment.pack_credits, stars=credited.payment.stars)
    else:
        log.info("payment_repeated")
    texts = turn.deps.texts
    receipt = turn.t(
        "money_paid",
        credits=texts.credits(credited.payment.pack_credits, turn.language),
        stars=credited.payment.stars,
        balance=texts.credits(credited.balance, turn.language),
    )
    if credited.referrer_id is not None:
        receipt += "\n" + turn.t(
            "money_referral_paid_new", bonus=texts.credits(money.referral_bonus, turn.language)
        )
    await turn.send(Screen(receipt, await _continue_row(turn, credited.balance)))
    if credited.referrer_id is not None:
        await _tell_referrer(turn, money, credited)


async def _mismatch(turn: Turn, money: MoneyDeps, exc: PaymentMismatch) -> None:
    log.warning("payment_mismatch", reason=exc.reason, currency=exc.currency, total=exc.total)
    await turn.send(Screen(turn.t("money_payment_mismatch", charge=exc.charge_id)))
    await _alerts(money).payment_mismatch(
        turn.bot,
        stage="payment",
        verdict=exc.reason,
        user_id=turn.user_id,
        total=exc.total,
        currency=exc.currency,
        charge_id=exc.charge_id,
    )


def _alerts(money: MoneyDeps) -> MoneyAlerts:
    return MoneyAlerts(money.redis, money.keys, money.host, money.program, money.admin_ids)


async def _continue_row(turn: Turn, balance: int) -> tuple[tuple[Button, ...], ...]:
    """▶ Continue: the generation the user was about to run, when the balance now covers it."""
    state = await turn.deps.wizards.load(turn.user_id, turn.update_id)
    if state is None or state.model_id not in turn.registry:
        return ()
    model = turn.registry.get(state.model_id)
    if state.step != len(plan(model)):
        return ()
    try:
        price = turn.registry.price(model.id, state.params)
    except InputError:
        return ()
    if price > balance:
        return ()
    label = turn.t(
        "btn_continue",
        model=model.name.get(turn.language.value),
        price=turn.deps.texts.credits(price, turn.language),
    )
    return ((Button(label, encode(Op.CONFIRM, state.sid, CONFIRM_GENERATE)),),)


async def _tell_referrer(turn: Turn, money: MoneyDeps, credited: Credited) -> None:
    assert credited.referrer_id is not None
    language = await turn.deps.prefs.language(credited.referrer_id, None)
    text = turn.deps.texts.get(
        "money_referral_paid_referrer",
        language,
        bonus=turn.deps.texts.credits(money.referral_bonus, language),
    )
    await turn.bot.send_message(credited.referrer_id, text)


async def send_terms(turn: Turn) -> None:
    """/terms: what is sold, for what, and the refund rule."""
    await turn.send(Screen(turn.t("money_terms")))
