"""Follow-up buttons under a delivered result: what a job offers, their callback_data and labels.

    f:<job ref>:<code>      opens the offer (what it does, its price, the balance) with a Run button
    f:<job ref>:<code>:y    runs it: a new job with its own hold (see `shared.jobs.follow_ups`)

Codes: `hd` (Veo 1080p), `4k` (Veo 4K), `u0`-`u3` (Midjourney upscale of picture 1-4), `v0`-`v3`
(vary), `x0`-`x1` (Suno extend of track 1-2). An offer is shown only when the catalogue prices it: a
follow-up whose price no KIE page confirms is left out of the published catalogue unless
ALLOW_UNVERIFIED_PRICES is set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from shared.catalog import CatalogError, FollowUp, Registry
from shared.chat.callbacks import Callback, Op, encode, job_ref
from shared.chat.texts import Language, Texts
from shared.jobs import FOLLOW_UP_KEY, FollowUpRequest, Job
from shared.jobs.follow_ups import RESULTS

__all__ = ["Offer", "Press", "follow_data", "offers", "parse_press", "settings_of"]

RUN = "y"
_CODES = {
    FollowUp.HD_1080P: "hd",
    FollowUp.UHD_4K: "4k",
    FollowUp.UPSCALE: "u",
    FollowUp.VARY: "v",
    FollowUp.EXTEND: "x",
}
_ORDER = (FollowUp.UPSCALE, FollowUp.VARY, FollowUp.EXTEND, FollowUp.HD_1080P, FollowUp.UHD_4K)


def _picks(action: FollowUp) -> int:
    """How many results an action picks from: its code carries the index when more than one."""
    return RESULTS.get(action, 1)


@dataclass(frozen=True, slots=True)
class Offer:
    """One follow-up button: `action` on result `index` (a grid's picture 0-3; else 0)."""

    action: FollowUp
    index: int = 0

    @property
    def code(self) -> str:
        """The offer's part of callback_data."""
        code = _CODES[self.action]
        return f"{code}{self.index}" if _picks(self.action) > 1 else code

    @property
    def row(self) -> str:
        """Which keyboard row the button sits in: one per action that picks a result, one for the rest."""
        return self.action.value if _picks(self.action) > 1 else "other"

    @classmethod
    def from_code(cls, code: str) -> Offer | None:
        """The offer a code names, None for anything else."""
        for action, prefix in _CODES.items():
            picks = _picks(action)
            if picks > 1 and code[:1] == prefix and code[1:].isdigit() and int(code[1:]) < picks:
                return cls(action, int(code[1:]))
            if picks == 1 and code == prefix:
                return cls(action)
        return None

    def button(self, texts: Texts, language: Language) -> str:
        """The button text (U1, V3, ⬆️ 1080p, ⏩ Extend 2)."""
        return texts.get(f"btn_follow_{self.action.value}", language, n=self.index + 1)

    def describe(self, texts: Texts, language: Language) -> str:
        """What it makes, in a few words ("picture 2 upscaled")."""
        return texts.get(f"follow_{self.action.value}", language, n=self.index + 1)

    def request(self, job: Job) -> FollowUpRequest:
        """The follow-up request on `job`'s finished task."""
        if job.kie_task_id is None:
            raise ValueError("a follow-up needs a job KIE has finished")
        return FollowUpRequest(self.action, job.kie_task_id, self.index, job.id.hex)


@dataclass(frozen=True, slots=True)
class Press:
    """A decoded follow-up press."""

    ref: str
    offer: Offer
    run: bool


def settings_of(params: Mapping[str, Any]) -> dict[str, Any]:
    """A job's model settings without its follow-up entry (what a follow-up's price may depend on)."""
    return {name: value for name, value in params.items() if name != FOLLOW_UP_KEY}


def offers(registry: Registry, job: Job) -> list[Offer]:
    """The follow-ups a delivered result offers, in button order: none on a follow-up's result except
    a new grid (vary), and only those the catalogue prices."""
    follow_up = FollowUpRequest.of(job.params)
    if job.kie_task_id is None or (follow_up is not None and follow_up.action is not FollowUp.VARY):
        return []
    try:
        model = registry.get(job.model_id)
    except CatalogError:
        return []
    priced = {action for action, _ in model.follow_ups}
    settings = settings_of(job.params)
    found: list[Offer] = []
    for action in _ORDER:
        if action not in priced or registry.follow_up_price(model.id, action, settings) is None:
            continue
        found.extend(Offer(action, index) for index in range(_picks(action)))
    return found


def follow_data(job_id: UUID | str, offer: Offer, *, run: bool = False) -> str:
    """callback_data of an offer's button (`run`: the Run button of its confirm screen)."""
    ref = job_ref(job_id) if isinstance(job_id, UUID) else job_id
    return encode(Op.FOLLOW, ref, offer.code, RUN) if run else encode(Op.FOLLOW, ref, offer.code)


def parse_press(callback: Callback) -> Press | None:
    """The press a follow-up callback carries, None when malformed."""
    ref, code = callback.arg(0), callback.arg(1)
    offer = Offer.from_code(code or "")
    if not ref or offer is None:
        return None
    return Press(ref, offer, callback.arg(2) == RUN)
