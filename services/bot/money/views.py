"""Screens of the money layer: credit packs, the admin dashboard and a user's card."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from services.bot.views.screen import Button, Screen
from shared.chat.callbacks import Op, encode
from shared.chat.texts import Language, Texts
from shared.ledger import Movement
from shared.money import CreditPack, Dashboard, UserCard
from shared.ops.money_report import MoneyReport

__all__ = ["covering_pack", "dashboard_screen", "packs_screen", "user_screen"]

_DATE = "%d.%m.%y %H:%M"


def covering_pack(packs: Sequence[CreditPack], missing: int) -> CreditPack | None:
    """The smallest pack covering a shortfall of ``missing`` credits (None: no shortfall, or none covers)."""
    if missing <= 0:
        return None
    return min((pack for pack in packs if pack.credits >= missing), key=lambda p: p.credits, default=None)


def packs_screen(
    texts: Texts, language: Language, packs: Sequence[CreditPack], balance: int, missing: int = 0
) -> Screen:
    """The packs on sale, one button each (the smallest covering ``missing`` first and marked)."""
    best = covering_pack(packs, missing)
    ordered = ([best] if best is not None else []) + [pack for pack in packs if pack != best]
    rows = tuple(
        (
            Button(
                texts.get(
                    "money_pack_enough" if pack == best else "money_pack_button",
                    language,
                    credits=texts.credits(pack.credits, language),
                    stars=pack.stars,
                ),
                encode(Op.BUY, pack.credits),
            ),
        )
        for pack in ordered
    )
    text = texts.get("money_packs", language, balance=texts.credits(balance, language))
    if missing > 0:
        text = (
            texts.get("money_packs_short", language, missing=texts.credits(missing, language)) + "\n" + text
        )
    return Screen(text, (*rows, (Button(texts.get("btn_menu", language), encode(Op.MENU)),)))


def _lines(texts: Texts, language: Language, key: str, items: Mapping[str, int]) -> str:
    if not items:
        return texts.get("admin_none", language)
    return "\n".join(texts.get(key, language, name=name, count=count) for name, count in items.items())


MONEY_MODELS_SHOWN = 15
MONEY_FLAGS_SHOWN = 10


def dashboard_screen(texts: Texts, language: Language, board: Dashboard, kie_balance: str | None) -> Screen:
    """The /admin numbers."""
    spend = "\n".join(
        texts.get("admin_spend_line", language, model=model, runs=runs, credits=credits)
        for model, runs, credits in board.spend_by_model
    ) or texts.get("admin_none", language)
    text = texts.get(
        "admin_dashboard",
        language,
        total=board.users_total,
        new_today=board.users_new_today,
        paying=board.users_paying,
        banned=board.users_banned,
        jobs=_lines(texts, language, "admin_jobs_line", board.jobs_by_state),
        stars=board.revenue_stars,
        credits=board.revenue_credits,
        kie=kie_balance if kie_balance is not None else texts.get("admin_unknown", language),
        spend=spend,
    )
    return Screen(text)


def money_report_screen(texts: Texts, language: Language, report: MoneyReport, days: int) -> Screen:
    """/money: per model and in total, what users paid against what KIE consumed; the flagged jobs."""
    lines = [
        texts.get(
            "admin_money_line",
            language,
            model=texts.get("admin_money_total", language) if line.model_id == "*" else line.model_id,
            jobs=line.jobs,
            captured=line.captured,
            kie=_credits(line.kie_consumed),
            margin=_credits(line.margin),
        )
        for line in [*report.lines[:MONEY_MODELS_SHOWN], report.total]
    ]
    flagged = [
        texts.get("admin_money_flag", language, job=str(job.job_id)[:8], model=job.model_id, why=job.why)
        for job in report.flagged[:MONEY_FLAGS_SHOWN]
    ] or [texts.get("admin_money_clean", language)]
    return Screen(
        texts.get("admin_money", language, days=days, lines="\n".join(lines), flagged="\n".join(flagged))
    )


def _credits(value: Decimal | None) -> str:
    if value is None:
        return "?"
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:.1f}"


def user_screen(texts: Texts, language: Language, card: UserCard, movements: Sequence[Movement]) -> Screen:
    """One user with their latest ledger rows."""
    lines = [
        texts.get(
            "admin_ledger_line",
            language,
            date=movement.created_at.strftime(_DATE),
            amount=f"{movement.amount:+d}",
            kind=movement.kind.value,
            reason=movement.reason,
            balance=movement.balance_after,
        )
        for movement in movements
    ]
    text = texts.get(
        "admin_user",
        language,
        id=card.id,
        username=card.username or "-",
        language_code=card.language,
        state=texts.get("admin_banned" if card.banned else "admin_active", language),
        balance=card.balance,
        created=card.created_at.strftime(_DATE),
        referrer=card.referrer_id or "-",
        payments=card.payments,
        stars=card.stars,
        jobs=card.jobs,
        ledger="\n".join(lines) or texts.get("admin_none", language),
    )
    return Screen(text)
