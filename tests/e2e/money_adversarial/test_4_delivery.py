"""Every delivery failure the Bot API emulator injects: another form, a link, or a refund."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest

from shared.chat.texts import Language
from tests.e2e.money_adversarial.world import (
    IMAGE,
    MUSIC,
    SLOW_SEND,
    TEXTS,
    VIDEO,
    Job,
    World,
    follow_link,
    media_of,
    t,
)
from tests.e2e.system import wait_until

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Refusal:
    """Faults on the result's sends, and what the job must end as."""

    faults: tuple[dict[str, Any], ...]
    model: str
    outcome: str  # "photo"/"video"/... captured and delivered as that; "undeliverable"/"unreachable"


REFUSALS = {
    "photo 400 → document": Refusal(({"method": "sendPhoto", "kind": "400"},), IMAGE, "document"),
    "photo and document 400 → link": Refusal(
        ({"method": "sendPhoto", "kind": "400"}, {"method": "sendDocument", "kind": "400"}),
        IMAGE,
        "link",
    ),
    "photo and document 413 → link": Refusal(
        ({"method": "sendPhoto", "kind": "413"}, {"method": "sendDocument", "kind": "413"}),
        IMAGE,
        "link",
    ),
    "photo, document and link 400": Refusal(
        (
            {"method": "sendPhoto", "kind": "400"},
            {"method": "sendDocument", "kind": "400"},
            {"method": "sendMessage", "kind": "400"},
        ),
        IMAGE,
        "undeliverable",
    ),
    "403 blocked": Refusal(({"method": "sendPhoto", "kind": "403"},), IMAGE, "unreachable"),
    "photo 429 flood": Refusal(({"method": "sendPhoto", "kind": "429", "retry_after": 1},), IMAGE, "photo"),
    "video 400 → document": Refusal(({"method": "sendVideo", "kind": "400"},), VIDEO, "document"),
    "audio 400 → document": Refusal(({"method": "sendAudio", "kind": "400"},), MUSIC, "document"),
}


class TestDeliveryFailures:
    @pytest.mark.parametrize("name", list(REFUSALS))
    def test_refused_result_is_sent_another_way_or_refunded(self, world: World, name: str) -> None:
        """Each refusal the Bot API emulator injects: a fallback that reached the chat is captured, a
        result that reached nobody is refunded (told when the chat can be told); never both."""
        refusal = REFUSALS[name]
        ivy = world.user(credits=200 if refusal.model == VIDEO else None)
        job = world.run_job(ivy, refusal.model, f"refused: {name}")
        for fault in refusal.faults:
            world.tg.add_fault(count=1, **fault)
        try:
            world.complete(job)
            settled = world.settled(ivy, job)
        finally:
            world.tg.clear_faults()
        if refusal.outcome in ("undeliverable", "unreachable"):
            assert (settled.state, settled.reason, settled.ledger) == (
                "failed",
                refusal.outcome,
                ("hold", "refund"),
            )
            assert not [m for m in ivy.messages() if media_of(m)]
            if refusal.outcome == "undeliverable":
                told = t(f"failure_{refusal.outcome}", credits=TEXTS.credits(job.price, Language.EN))
                wait_until(
                    lambda: any(m.get("text") == told for m in ivy.messages()), 30, "the refund message"
                )
            return
        assert (settled.state, settled.ledger) == ("succeeded", ("hold", "capture"))
        result = ivy.message(settled.result_message_id or 0)
        assert media_of(result) == refusal.outcome
        if refusal.outcome == "link":
            assert follow_link(result).startswith(b"\x89PNG")  # the webhook redirects to KIE's file

    def test_an_answer_lost_or_failed_is_sent_again_and_captured_once(self, world: World) -> None:
        """sendPhoto answered 500, and another answered after the bot's timeout (Telegram delivered it):
        nothing settles, the poller sends again, each job is captured once with a photo in the chat."""
        walkers = [world.user(), world.user()]
        jobs = [world.run_job(w, IMAGE, "sent again") for w in walkers]
        faults: list[dict[str, Any]] = [{"kind": "500"}, {"kind": "slow", "delay": SLOW_SEND}]
        for job, fault in zip(jobs, faults, strict=True):
            world.tg.add_fault(method="sendPhoto", count=1, **fault)
            world.complete(job)
            wait_until(partial(_deferred, world, job), 30, f"the first send's {fault['kind']}")
        for walker, job in zip(walkers, jobs, strict=True):
            settled = world.settled(walker, job)
            assert (settled.state, settled.ledger) == ("succeeded", ("hold", "capture"))
            assert media_of(walker.message(settled.result_message_id or 0)) == "photo"

    def test_a_user_banned_while_the_job_runs_gets_nothing_and_pays_nothing(self, world: World) -> None:
        """/ban while KIE generates: the result is neither delivered nor captured, the hold comes back."""
        ned = world.user()
        job = world.run_job(ned, IMAGE, "banned meanwhile")
        assert world.admin(f"/ban {ned.user}") == t("admin_banned_done", id=ned.user)
        world.complete(job)
        settled = world.settled(ned, job)
        assert (settled.state, settled.reason, settled.ledger) == ("failed", "banned", ("hold", "refund"))
        assert not [m for m in ned.messages() if media_of(m)]


def _deferred(world: World, job: Job) -> bool:
    """The finisher gave up on the job's delivery for now (`job_delivery_deferred` in the jobs log)."""
    lines = world.system.logs().get("jobs.log", "").splitlines()
    events = (json.loads(line) for line in lines if line.startswith("{") and job.id in line)
    return any(event.get("event") == "job_delivery_deferred" for event in events)
