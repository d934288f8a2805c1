"""Follow-up jobs (Veo 1080p/4K, Midjourney upscale/vary) through the job tracker: each goes to its
documented KIE endpoint with the finished task's id, and settles like any job: captured only with a
result delivered, refunded when KIE fails it.

KIE is the scripted stand-in answering with the golden fixtures' documented bodies (tests/kie/fixtures:
mj/upscale, mj/vary, veo/get-1080p-video, veo/get-4k-video); Telegram its emulator; PostgreSQL and Redis
are real.
"""

from __future__ import annotations

import json
from typing import Any

from shared.catalog import FollowUp
from shared.jobs import FollowUpRequest, JobState
from tests.kie.fixtures import load
from tests.services.jobs.test_families import Rig, _rig  # noqa: F401  (the rig fixture)
from tests.shared.kie.stub import Reply, err

PARENT = "2584469c38e43c173dcae9e60663f645"
MJ = "midjourney/text-to-image"


def mj_record(rig: Rig, urls: int, **changes: Any) -> Reply:
    """The documented Midjourney record with `urls` result pictures served by the stand-in."""
    record = load("mj", "record-info")["response"]
    record["data"]["resultInfoJson"]["resultUrls"] = [
        {"resultUrl": f"{rig.kie.url}/files/{n}.jpeg"} for n in range(urls)
    ]
    for n in range(urls):
        rig.kie.script(f"/files/{n}.jpeg", Reply(raw=b"\xff\xd8" + b"\0" * 256, content_type="image/jpeg"))
    record["data"].update(changes)
    return Reply(record)


def callback_data(rig: Rig) -> list[str]:
    """Every button's callback_data on the bot's replies."""
    return [
        str(button["callback_data"])
        for reply in rig.telegram.bot_replies(rig.user_id)
        for row in (reply.reply_markup or {}).get("inline_keyboard", [])
        for button in row
    ]


class TestTaskFollowUps:
    """Upscale, vary and 4K create a task at their own endpoint, read with the family's record call."""

    async def test_upscale_is_sent_to_generate_upscale_and_captured(self, rig: Rig) -> None:
        """The documented body (taskId, imageIndex 0-3, callBackUrl) goes to generateUpscale; the one
        picture is delivered and the hold captured."""
        documented = load("mj", "upscale")
        rig.kie.script("/api/v1/mj/generateUpscale", Reply(documented["response"]))
        rig.kie.script("/api/v1/mj/record-info", mj_record(rig, 1))
        request = FollowUpRequest(FollowUp.UPSCALE, PARENT, 1, "ab" * 16)
        job = await rig.job(MJ, {"speed": "fast", **request.to_params()}, price=8)
        assert await rig.submitter.submit_ready() == 1
        [sent] = rig.kie.hits("/api/v1/mj/generateUpscale")
        body = sent.json()
        assert body["taskId"] == PARENT and body["imageIndex"] == 1 and "callBackUrl" in body
        assert set(body) <= set(documented["request"])
        assert rig.kie.hits("/api/v1/mj/generate") == [] and rig.kie.hits("/api/v1/jobs/createTask") == []
        submitted = await rig.reload(job)
        assert submitted.kie_task_id == documented["response"]["data"]["taskId"]
        assert await rig.finisher.confirm(submitted)
        assert (await rig.reload(job)).state is JobState.SUCCEEDED
        assert await rig.ledger.balance(rig.user_id) == 100 - 8
        assert not any(data.startswith("j:") and data.endswith(":r") for data in callback_data(rig))

    async def test_failed_variation_is_refunded_with_try_again(self, rig: Rig) -> None:
        """KIE failing a vary task refunds its hold once; the message offers the same follow-up on the
        original result again (never a rerun of a wizard it never had)."""
        rig.kie.script("/api/v1/mj/generateVary", Reply(load("mj", "vary")["response"]))
        failed = mj_record(rig, 0, successFlag=3, errorCode=500, errorMessage="generation failed")
        rig.kie.script("/api/v1/mj/record-info", failed)
        parent_job = "cd" * 16
        job = await rig.job(MJ, FollowUpRequest(FollowUp.VARY, PARENT, 0, parent_job).to_params(), price=8)
        await rig.submitter.submit_ready()
        assert await rig.finisher.confirm(await rig.reload(job))
        assert await rig.finisher.confirm(await rig.reload(job))  # a duplicate changes nothing
        assert (await rig.reload(job)).state is JobState.FAILED
        assert await rig.ledger.balance(rig.user_id) == 100
        assert f"f:{parent_job[:12]}:v0" in callback_data(rig)

    async def test_4k_is_sent_to_get_4k_video(self, rig: Rig) -> None:
        """The 4K upgrade posts the documented body {taskId, index, callBackUrl} and takes the task id."""
        documented = load("veo", "get-4k-video")
        answer = {**documented["response"], "data": {**documented["response"]["data"], "taskId": "veo-4k-1"}}
        rig.kie.script("/api/v1/veo/get-4k-video", Reply(answer))
        job = await rig.job("veo3_fast", FollowUpRequest(FollowUp.UHD_4K, PARENT).to_params(), price=60)
        await rig.submitter.submit_ready()
        [sent] = rig.kie.hits("/api/v1/veo/get-4k-video")
        assert set(sent.json()) == set(documented["request"]) and sent.json()["taskId"] == PARENT
        assert (await rig.reload(job)).kie_task_id == "veo-4k-1"


class TestSunoExtend:
    """Extend continues one track: its id comes from the finished task's record, as `audioId`."""

    async def test_track_two_is_extended_with_its_own_parameters(self, rig: Rig) -> None:
        """The record's second track id goes to generate/extend with the model, defaultParamFlag false."""
        record = load("suno", "record-info")["response"]
        tracks = record["data"]["response"]["sunoData"]
        tracks.append({**tracks[0], "id": "second-track-id"})
        rig.kie.script("/api/v1/generate/record-info", Reply(record))
        rig.kie.script("/api/v1/generate/extend", Reply(load("suno", "extend")["response"]))
        job = await rig.job("V5", FollowUpRequest(FollowUp.EXTEND, PARENT, 1).to_params())
        await rig.submitter.submit_ready()
        [asked] = rig.kie.hits("/api/v1/generate/record-info")
        assert asked.query == {"taskId": PARENT}
        [sent] = rig.kie.hits("/api/v1/generate/extend")
        body = sent.json()
        assert (
            body["audioId"] == "second-track-id"
            and body["model"] == "V5"
            and body["defaultParamFlag"] is False
        )
        assert set(body) <= set(load("suno", "extend")["request"])
        assert (await rig.reload(job)).kie_task_id == load("suno", "extend")["response"]["data"]["taskId"]

    async def test_a_missing_track_is_refunded_without_creating_anything(self, rig: Rig) -> None:
        """A task with one track has no track 2: nothing is sent to extend and the hold goes back."""
        rig.kie.script("/api/v1/generate/record-info", Reply(load("suno", "record-info")["response"]))
        job = await rig.job("V5", FollowUpRequest(FollowUp.EXTEND, PARENT, 1).to_params())
        await rig.submitter.submit_ready()
        assert rig.kie.hits("/api/v1/generate/extend") == []
        assert (await rig.reload(job)).state is JobState.FAILED
        assert await rig.ledger.balance(rig.user_id) == 100


class TestVeo1080p:
    """The 1080p upgrade is no task: its GET answers non-200 until the URL is ready."""

    async def test_polled_until_the_url_then_delivered_and_captured(self, rig: Rig) -> None:
        """Not ready twice (no settlement, no refund), then the documented data.resultUrl is delivered."""
        ready = load("veo", "get-1080p-video")["response"]
        ready = json.loads(
            json.dumps(ready).replace(ready["data"]["resultUrl"], f"{rig.kie.url}/files/hd.mp4")
        )
        not_ready = err(422, "The 1080P video is still being generated")
        rig.kie.script("/api/v1/veo/get-1080p-video", not_ready, not_ready, Reply(ready))
        rig.kie.script("/files/hd.mp4", Reply(raw=b"\0" * 256, content_type="video/mp4"))
        job = await rig.job("veo3_fast", FollowUpRequest(FollowUp.HD_1080P, PARENT).to_params(), price=5)
        await rig.submitter.submit_ready()
        submitted = await rig.reload(job)
        assert submitted.state is JobState.SUBMITTED and (submitted.kie_task_id or "").startswith(PARENT)
        [first] = rig.kie.hits("/api/v1/veo/get-1080p-video")
        assert first.query == {"taskId": PARENT, "index": "0"}
        assert not await rig.finisher.confirm(submitted)
        assert await rig.ledger.balance(rig.user_id) == 100 - 5  # still held
        assert await rig.finisher.confirm(await rig.reload(job))
        assert (await rig.reload(job)).state is JobState.SUCCEEDED
        assert await rig.ledger.balance(rig.user_id) == 100 - 5
        assert any("video" in reply.content for reply in rig.telegram.bot_replies(rig.user_id))
        assert rig.kie.hits("/api/v1/veo/record-info") == []

    async def test_never_ready_is_refunded_at_the_deadline(self, rig: Rig) -> None:
        """An upgrade that never comes expires with the job and its hold goes back."""
        rig.kie.script("/api/v1/veo/get-1080p-video", *(err(422, "not ready") for _ in range(3)))
        job = await rig.job("veo3_fast", FollowUpRequest(FollowUp.HD_1080P, PARENT).to_params(), price=5)
        await rig.submitter.submit_ready()
        await rig.finisher.expire(await rig.reload(job))
        assert (await rig.reload(job)).state is JobState.EXPIRED
        assert await rig.ledger.balance(rig.user_id) == 100
