"""Follow-up buttons under a result: which a job offers, their callback_data, and the result keyboard."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.catalog import FollowUp, Registry, load_registry
from shared.chat.callbacks import MAX_CALLBACK_BYTES, Op, decode
from shared.chat.follow_ups import Offer, follow_data, offers, parse_press, settings_of
from shared.chat.presentation import ResultPresenter
from shared.jobs import FollowUpRequest, Job, JobState

MJ = "midjourney/text-to-image"


@pytest.fixture(name="registry", scope="module")
def _registry() -> Registry:
    return load_registry()


def job(model_id: str, params: dict[str, Any] | None = None, task_id: str | None = "task-1") -> Job:
    """A delivered job of `model_id`."""
    now = datetime.now(UTC)
    return Job(
        id=uuid.uuid4(),
        user_id=1,
        chat_id=1,
        model_id=model_id,
        params=params or {},
        price_credits=8,
        state=JobState.SUCCEEDED,
        settlement="captured",
        kie_task_id=task_id,
        attempts=1,
        error_code=None,
        error_text=None,
        result_urls=("https://files.example.com/0.png",),
        typical_seconds=60,
        time_limit_seconds=600,
        created_at=now,
        submitted_at=now,
        finished_at=now,
        deadline=now,
        progress_message_id=1,
        delivered_at=now,
        notified_at=now,
    )


def buttons(markup: Any) -> list[str]:
    """Every button's callback_data."""
    return [str(button.callback_data) for row in markup.inline_keyboard for button in row]


class TestOffers:
    def test_a_grid_offers_u1_to_u4_and_v1_to_v4(self, registry: Registry) -> None:
        """A Midjourney grid offers an upscale and a variation of each of its four pictures."""
        codes = [offer.code for offer in offers(registry, job(MJ, {"speed": "fast"}))]
        assert codes == ["u0", "u1", "u2", "u3", "v0", "v1", "v2", "v3"]

    def test_a_veo_video_offers_1080p_and_4k(self, registry: Registry) -> None:
        """A Veo video offers its 1080p and 4K versions."""
        assert offers(registry, job("veo3_fast")) == [Offer(FollowUp.HD_1080P), Offer(FollowUp.UHD_4K)]

    def test_a_song_offers_extend_of_each_track(self, registry: Registry) -> None:
        """A Suno result (two tracks) offers to continue either, at KIE's Extend Music price."""
        song = job("V5", {"customMode": False, "instrumental": False, "prompt": "la"})
        assert offers(registry, song) == [Offer(FollowUp.EXTEND, 0), Offer(FollowUp.EXTEND, 1)]
        assert registry.follow_up_price("V5", FollowUp.EXTEND) == 12

    def test_follow_up_results_offer_only_a_new_grids(self, registry: Registry) -> None:
        """An upscaled picture or a 1080p video offers nothing more; a variation (a new grid) does."""
        upscaled = FollowUpRequest(FollowUp.UPSCALE, "task-1", 2).to_params()
        assert offers(registry, job(MJ, upscaled, task_id="task-2")) == []
        hd = FollowUpRequest(FollowUp.HD_1080P, "task-1").to_params()
        assert offers(registry, job("veo3_fast", hd, task_id="task-2")) == []
        varied = FollowUpRequest(FollowUp.VARY, "task-1", 0).to_params()
        assert len(offers(registry, job(MJ, varied, task_id="task-2"))) == 8

    def test_none_without_a_task_or_a_price(self, registry: Registry) -> None:
        """No task id, a model without follow-ups, or a catalogue that does not sell them: no offer."""
        assert offers(registry, job(MJ, task_id=None)) == []
        assert offers(registry, job("nano-banana-2")) == []
        published = load_registry(allow_unverified=False)
        assert offers(published, job(MJ)) == []
        assert offers(published, job("veo3")) == [Offer(FollowUp.HD_1080P), Offer(FollowUp.UHD_4K)]

    def test_request_names_the_finished_task_and_the_job(self, registry: Registry) -> None:
        """U3 asks KIE for imageIndex 2 of the job's task, and remembers the job for Try again."""
        grid = job(MJ)
        request = Offer(FollowUp.UPSCALE, 2).request(grid)
        assert request.kie_fields() == {"taskId": "task-1", "imageIndex": 2}
        assert FollowUpRequest.of({**settings_of({"speed": "turbo"}), **request.to_params()}) == request
        assert request.parent_job == grid.id.hex


class TestCallbackData:
    def test_every_offer_round_trips_within_64_bytes(self, registry: Registry) -> None:
        """Offer and Run buttons decode to the same offer and fit Telegram's limit."""
        grid = job(MJ)
        for offer in [*offers(registry, grid), *offers(registry, job("veo3"))]:
            for run in (False, True):
                data = follow_data(grid.id, offer, run=run)
                assert len(data.encode()) <= MAX_CALLBACK_BYTES
                callback = decode(data)
                assert callback is not None and callback.op is Op.FOLLOW
                press = parse_press(callback)
                assert press is not None and press.offer == offer and press.run is run

    @pytest.mark.parametrize("data", ["f", "f:abc", "f:abc:u4", "f:abc:u", "f:abc:zz", "f::hd"])
    def test_malformed_presses_are_refused(self, data: str) -> None:
        """A picture past the grid, an unknown code or a missing job reference is no press."""
        callback = decode(data)
        assert callback is not None and parse_press(callback) is None


class TestResultKeyboard:
    def test_grid_result_carries_follow_up_rows_above_again_and_new(self, registry: Registry) -> None:
        """The grid's keyboard: U1-U4, V1-V4, then Again and New."""
        markup = ResultPresenter(registry).keyboard(job(MJ), "en")
        texts = [[button.text for button in row] for row in markup.inline_keyboard]
        assert texts[0] == ["U1", "U2", "U3", "U4"] and texts[1] == ["V1", "V2", "V3", "V4"]
        assert len(texts[2]) == 2

    def test_follow_up_result_has_no_again(self, registry: Registry) -> None:
        """A 1080p video is not rerun through a wizard it never had: New only; its caption says 1080p."""
        hd = job("veo3_fast", FollowUpRequest(FollowUp.HD_1080P, "task-1").to_params(), task_id="t2")
        presenter = ResultPresenter(registry)
        assert [data.rsplit(":", 1)[-1] for data in buttons(presenter.keyboard(hd, "en"))] == ["n"]
        assert "1080p" in presenter.caption(hd, "en")

    def test_failed_follow_up_offers_it_again_on_the_original(self, registry: Registry) -> None:
        """Its failure message offers the same follow-up on the original result, and the menu."""
        parent = uuid.uuid4().hex
        failed = job(MJ, FollowUpRequest(FollowUp.VARY, "task-1", 3, parent).to_params())
        assert buttons(ResultPresenter(registry).failure_keyboard(failed, "ru")) == [
            f"f:{parent[:12]}:v3",
            "mm",
        ]
