"""Cancel at every job state, raced with KIE's callback, pressed twice."""

from __future__ import annotations

import pytest

from shared.chat.texts import Language
from tests.e2e.money_adversarial.world import (
    IMAGE,
    TEXTS,
    Job,
    World,
    at_once,
    cancel_data,
    delivering,
    jobs_of,
    media_of,
    t,
    with_progress,
)
from tests.e2e.system import wait_until
from tests.e2e.test_bot_flows import balance

pytestmark = pytest.mark.e2e


class TestCancelAtEveryState:
    def test_queued_double_generate_and_double_cancel_refund_once(self, world: World) -> None:
        """`jobs` stopped, so the job stays queued: two Generate presses make one job, two Cancels one
        refund of the whole price."""
        ann = world.user()
        start = balance(world.db, ann.user)
        confirm = world.confirm(ann, IMAGE, "a quiet harbour")
        assert world.system.ctl("stop", "jobs").returncode == 0
        try:
            generate = ann.data(confirm, prefix="c:", suffix=":g")
            at_once(*(lambda: ann.press(confirm["message_id"], generate) for _ in range(2)))
            wait_until(lambda: jobs_of(world.db, ann.user), 30, "the job")
            (job,) = jobs_of(world.db, ann.user)
            assert job.state == "queued" and balance(world.db, ann.user) == start - job.price
            progress = ann.message(job.progress_id)
            cancel = cancel_data(progress)
            at_once(*(lambda: ann.press(progress["message_id"], cancel) for _ in range(2)))
            cancelled = t("job_cancelled", credits=TEXTS.credits(job.price, Language.EN))
            wait_until(lambda: any(cancelled in str(m.get("text")) for m in ann.messages()), 30, "the refund")
        finally:
            assert world.system.ctl("start", "jobs").returncode == 0
        (job,) = jobs_of(world.db, ann.user)
        assert (job.state, job.ledger) == ("cancelled", ("hold", "refund"))
        assert balance(world.db, ann.user) == start
        assert sum(cancelled in str(m.get("text")) for m in ann.messages()) == 1

    @pytest.mark.parametrize("phase", ["submitted", "running"])
    def test_cancel_once_kie_has_the_task_keeps_the_charge_and_delivers(
        self, world: World, phase: str
    ) -> None:
        """KIE accepted (waiting) or is generating: Cancel only stops waiting; the result comes, charged."""
        ben = world.user()
        job = world.run_job(ben)
        if phase == "running":
            wait_until(lambda: _advanced_to_generating(world, job), 30, "KIE generating")
        stop_waiting = t("job_stop_waiting", credits=TEXTS.credits(job.price, Language.EN))
        assert stop_waiting in world.press_cancel(ben, job)
        world.complete(job)
        settled = world.settled(ben, job)
        assert (settled.state, settled.ledger, settled.stop_waiting) == (
            "succeeded",
            ("hold", "capture"),
            True,
        )
        assert media_of(ben.message(settled.result_message_id or 0)) == "photo"

    def test_stop_waiting_then_kie_fails_refunds_in_full(self, world: World) -> None:
        """After "stop waiting", KIE fails the task (and charges nothing): the whole price comes back."""
        lea = world.user()
        start = balance(world.db, lea.user)
        job = world.run_job(lea, IMAGE, "fails at KIE")
        assert t("job_stop_waiting", credits=TEXTS.credits(job.price, Language.EN)) in world.press_cancel(
            lea, job
        )
        world.kie(f"tasks/{job.task}/fail", {"failCode": "500", "failMsg": "internal error"})
        settled = world.settled(lea, job)
        assert (settled.state, settled.ledger) == ("failed", ("hold", "refund"))
        assert balance(world.db, lea.user) == start

    def test_cancel_while_create_task_has_an_unknown_outcome(self, world: World) -> None:
        """createTask made the task but answered 500 (the job stays `submitting`, no task id): Cancel only
        stops waiting; KIE's callback then brings the task id, and the result is delivered, charged."""
        kim = world.user()
        world.confirm(kim, IMAGE, "an unknown outcome")
        world.kie("faults", {"endpoint": "createTask", "kind": "500", "after_create": True, "count": 1})
        tasks = len(world.kie("tasks"))
        progress = kim.generate()
        wait_until(lambda: len(world.kie("tasks")) > tasks, 30, "KIE creating the task")
        (job,) = wait_until(lambda: jobs_of(world.db, kim.user), 30, "the job")
        wait_until(
            lambda: "job_submit_outcome_unknown" in world.system.logs().get("jobs.log", ""), 30, "the 500"
        )
        assert jobs_of(world.db, kim.user)[0].state == "submitting"
        job = with_progress(job, progress)
        stop_waiting = t("job_stop_waiting", credits=TEXTS.credits(job.price, Language.EN))
        assert stop_waiting in world.press_cancel(kim, job)
        world.kie(f"tasks/{world.kie('tasks')[-1]['taskId']}/complete", {})
        settled = world.settled(kim, job)
        assert (settled.state, settled.ledger, settled.stop_waiting) == (
            "succeeded",
            ("hold", "capture"),
            True,
        )
        assert media_of(kim.message(settled.result_message_id or 0)) == "photo"

    def test_cancel_while_the_result_is_being_delivered(self, world: World) -> None:
        """Cancel pressed while the finisher holds the job and Telegram is slow to take the photo: the
        press waits for the delivery and finds the job finished; captured once, nothing refunded."""
        cara = world.user()
        job = world.run_job(cara)
        world.tg.add_fault(method="sendPhoto", kind="slow", delay=2.5, count=1)
        world.complete(job)
        wait_until(lambda: delivering(world.db), 30, "the finisher delivering the result")
        answer = world.press_cancel(cara, job)
        settled = world.settled(cara, job)
        assert answer == t("job_already_finished")
        assert (settled.state, settled.ledger) == ("succeeded", ("hold", "capture"))

    def test_cancel_raced_with_the_callback(self, world: World) -> None:
        """Cancel and KIE's callback at the same moment: whichever wins, KIE's work is paid and delivered."""
        dan = world.user()
        job = world.run_job(dan)
        answers: list[str] = []
        at_once(lambda: answers.append(world.press_cancel(dan, job)), lambda: world.complete(job))
        settled = world.settled(dan, job)
        assert (settled.state, settled.ledger) == ("succeeded", ("hold", "capture")), answers
        assert media_of(dan.message(settled.result_message_id or 0)) == "photo"


def _advanced_to_generating(world: World, job: Job) -> bool:
    state = world.kie(f"tasks/{job.task}")["state"]
    if state != "generating":
        world.kie(f"tasks/{job.task}/advance", {})
    return bool(world.kie(f"tasks/{job.task}")["state"] == "generating")
