"""Balance (with recent movements and their reasons) and history (the last generations) screens."""

from __future__ import annotations

from collections.abc import Sequence

from services.bot.views.screen import Button, Screen
from shared.catalog import Registry
from shared.chat.callbacks import Op, buy_data, encode, job_ref
from shared.chat.presentation import PICTURE_TYPES
from shared.chat.texts import Language, Texts
from shared.jobs import Job, JobState
from shared.ledger import Movement, MovementKind

__all__ = ["HISTORY_OPEN", "HISTORY_RERUN", "HISTORY_REUSE", "balance_screen", "history_screen"]

HISTORY_OPEN = "o"
HISTORY_RERUN = "r"
HISTORY_REUSE = "i"

_REASON_KEYS = {
    MovementKind.GRANT: "reason_grant",
    MovementKind.PURCHASE: "reason_purchase",
    MovementKind.REFERRAL: "reason_referral",
    MovementKind.HOLD: "reason_hold",
    MovementKind.CAPTURE: "reason_capture",
    MovementKind.REFUND: "reason_refund",
}
_DATE = "%d.%m %H:%M"
_PROMO_REASON = "promo "
"""How `shared.money.promos` starts the reason of a promo-code grant."""


def _reason_key(movement: Movement) -> str:
    if movement.kind is MovementKind.GRANT and movement.reason.startswith(_PROMO_REASON):
        return "reason_promo"
    return _REASON_KEYS.get(movement.kind, "reason_other")


def balance_screen(texts: Texts, language: Language, balance: int, movements: Sequence[Movement]) -> Screen:
    """The balance and the latest movements, each with its reason in plain words.

    A capture moves nothing (its hold already did), so it is left out rather than shown as "+0".
    """
    lines = [
        texts.get(
            "balance_line",
            language,
            date=movement.created_at.strftime(_DATE),
            amount=f"{movement.amount:+d}",
            reason=texts.get(_reason_key(movement), language),
        )
        for movement in movements
        if movement.amount != 0
    ]
    body = (
        texts.get("balance_movements", language, lines="\n".join(lines))
        if lines
        else texts.get("balance_empty", language)
    )
    text = texts.get("balance", language, balance=texts.credits(balance, language)) + "\n\n" + body
    rows = (
        (Button(texts.get("btn_buy", language), buy_data()),),
        (Button(texts.get("btn_menu", language), encode(Op.MENU)),),
    )
    return Screen(text, rows)


def _is_picture(registry: Registry, job: Job) -> bool:
    """Only a picture result can be the input of the types "Use as input" offers."""
    return job.model_id in registry and registry.get(job.model_id).type in PICTURE_TYPES


def _status(texts: Texts, job: Job, language: Language) -> str:
    return texts.get(f"job_state_{job.state.value}", language)


def history_screen(texts: Texts, registry: Registry, language: Language, jobs: Sequence[Job]) -> Screen:
    """The last generations, newest first, each with open / rerun / reuse-as-input buttons."""
    if not jobs:
        return Screen(
            texts.get("history_empty", language),
            ((Button(texts.get("btn_menu", language), encode(Op.MENU)),),),
        )
    lines = [texts.get("history_title", language)]
    rows: list[tuple[Button, ...]] = []
    for number, job in enumerate(jobs, start=1):
        name = (
            registry.get(job.model_id).name.get(language.value) if job.model_id in registry else job.model_id
        )
        lines.append(
            texts.get(
                "history_line",
                language,
                n=number,
                model=name,
                status=_status(texts, job, language),
                date=job.created_at.strftime(_DATE),
            )
        )
        row = [
            Button(
                texts.get("btn_history_rerun", language, n=number),
                encode(Op.HISTORY, HISTORY_RERUN, job_ref(job.id)),
            )
        ]
        if job.state is JobState.SUCCEEDED and job.result_urls:
            row.insert(
                0,
                Button(
                    texts.get("btn_history_open", language, n=number),
                    encode(Op.HISTORY, HISTORY_OPEN, job_ref(job.id)),
                ),
            )
            if _is_picture(registry, job):
                row.append(
                    Button(
                        texts.get("btn_history_reuse", language, n=number),
                        encode(Op.HISTORY, HISTORY_REUSE, job_ref(job.id)),
                    )
                )
        rows.append(tuple(row))
    rows.append((Button(texts.get("btn_menu", language), encode(Op.MENU)),))
    return Screen("\n".join(lines), tuple(rows))
