"""The emulator against the golden fixtures: each family's documented request is accepted, and the
response, record and callback bodies the emulator gives have the documented shapes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from emulators.kie import KieState, RunningEmulator
from tests.emulators.kie.conftest import Call
from tests.emulators.kie_support import CallbackReceiver
from tests.kie.fixtures import load, shape_mismatches

# family, create fixture, create path, record fixture, success callback fixture, failure callback fixture
CASES = [
    (
        "market",
        "create-task",
        "/api/v1/jobs/createTask",
        "record-info-success",
        "callback-success",
        "callback-fail",
    ),
    ("suno", "generate", "/api/v1/generate", "record-info", "callback-complete", "callback-error"),
    ("veo", "generate", "/api/v1/veo/generate", "record-info", "callback-success", "callback-fail"),
    ("gpt4o", "generate", "/api/v1/gpt4o-image/generate", "record-info", "callback-success", "callback-fail"),
    ("flux", "generate", "/api/v1/flux/kontext/generate", "record-info", "callback-success", None),
    ("mj", "generate", "/api/v1/mj/generate", "record-info", "callback-success", "callback-fail"),
    ("runway", "generate", "/api/v1/runway/generate", "record-detail", "callback-success", None),
    ("aleph", "generate", "/api/v1/aleph/generate", "record-info", "callback-success", "callback-fail"),
]
IDS = [case[0] for case in CASES]
FAILING = [case for case in CASES if case[5]]


def assert_shape(actual: object, documented: object) -> None:
    """The body has the documented shape."""
    problems = shape_mismatches(actual, documented)
    assert not problems, problems


async def create(
    call: Call, family: str, fixture: str, path: str, receiver: CallbackReceiver, **changes: Any
) -> str:
    """POST the documented request (callBackUrl pointed at the receiver); check the answer's shape."""
    golden = load(family, fixture)
    body = {**golden["request"], "callBackUrl": receiver.url, **changes}
    answer = await call("POST", path, json=body)
    assert answer["code"] == 200, answer
    assert_shape(answer, golden["response"])
    task_id: str = answer["data"]["taskId"]
    return task_id


async def last_callback(emulator: RunningEmulator, receiver: CallbackReceiver) -> dict[str, Any]:
    """The body of the newest callback the receiver got."""
    assert await emulator.drain_callbacks()
    assert receiver.received, "no callback arrived"
    body: dict[str, Any] = json.loads(receiver.received[-1].body)
    return body


class TestGoldenShapes:
    @pytest.mark.parametrize(
        ("family", "create_fx", "path", "record_fx", "success_fx", "_fail"), CASES, ids=IDS
    )
    async def test_success_matches_the_docs(
        self,
        call: Call,
        state: KieState,
        emulator: RunningEmulator,
        receiver: CallbackReceiver,
        family: str,
        create_fx: str,
        path: str,
        record_fx: str,
        success_fx: str,
        _fail: str | None,
    ) -> None:
        """Documented request → created; after success, record and callback have the documented shapes."""
        task_id = await create(call, family, create_fx, path, receiver)
        state.complete_task(task_id)
        golden_record = load(family, record_fx)
        record = await call("GET", golden_record["request"]["path"], params={"taskId": task_id})
        assert_shape(record, golden_record["response"])
        assert_shape(await last_callback(emulator, receiver), load(family, success_fx)["body"])

    @pytest.mark.parametrize(
        ("family", "create_fx", "path", "_record", "_success", "fail_fx"),
        FAILING,
        ids=[case[0] for case in FAILING],
    )
    async def test_failure_callback_matches_the_docs(
        self,
        call: Call,
        state: KieState,
        emulator: RunningEmulator,
        receiver: CallbackReceiver,
        family: str,
        create_fx: str,
        path: str,
        _record: str,
        _success: str,
        fail_fx: str,
    ) -> None:
        """A failed task's callback has the documented failure shape."""
        task_id = await create(call, family, create_fx, path, receiver)
        state.fail_task(task_id, "400", "Your prompt was flagged")
        body = await last_callback(emulator, receiver)
        assert_shape(body, load(family, fail_fx)["body"])
        assert body["code"] == (501 if family == "market" else 400)  # Market failures are 501 (§2.4)

    async def test_veo_4k_callback_matches_the_docs(
        self, call: Call, state: KieState, emulator: RunningEmulator, receiver: CallbackReceiver
    ) -> None:
        """A 4K upgrade answers resultUrls/imageUrls null at once, then calls back in the 4K shape."""
        parent = await create(call, "veo", "generate", "/api/v1/veo/generate", receiver)
        state.complete_task(parent)
        child = await create(call, "veo", "get-4k-video", "/api/v1/veo/get-4k-video", receiver, taskId=parent)
        state.complete_task(child)
        assert_shape(await last_callback(emulator, receiver), load("veo", "callback-4k")["body"])
        other = await create(call, "veo", "get-4k-video", "/api/v1/veo/get-4k-video", receiver, taskId=parent)
        state.fail_task(other, "500", "The 4K version of this video is unavailable.")
        assert_shape(await last_callback(emulator, receiver), load("veo", "callback-4k-fail")["body"])


class TestGoldenFollowUps:
    async def test_suno_extend(self, call: Call, state: KieState, receiver: CallbackReceiver) -> None:
        """Extend takes the documented body naming a track of a finished task."""
        task_id = await create(call, "suno", "generate", "/api/v1/generate", receiver)
        state.complete_task(task_id)
        record = await call("GET", "/api/v1/generate/record-info", params={"taskId": task_id})
        audio_id = record["data"]["response"]["sunoData"][0]["id"]
        extend = await create(call, "suno", "extend", "/api/v1/generate/extend", receiver, audioId=audio_id)
        state.complete_task(extend)
        record = await call("GET", "/api/v1/generate/record-info", params={"taskId": extend})
        assert_shape(record, load("suno", "record-info")["response"])
        assert record["data"]["parentMusicId"] == audio_id

    async def test_veo_1080p_4k_and_extend(
        self, call: Call, state: KieState, receiver: CallbackReceiver
    ) -> None:
        """The 1080p call answers non-200 until the upgrade is done, then the documented resultUrl."""
        task_id = await create(call, "veo", "generate", "/api/v1/veo/generate", receiver)
        state.complete_task(task_id)
        query = load("veo", "get-1080p-video")["request"]["query"] | {"taskId": task_id}
        first = await call("GET", "/api/v1/veo/get-1080p-video", params=query)
        assert first["code"] != 200
        state.advance_clock(60)
        ready = await call("GET", "/api/v1/veo/get-1080p-video", params=query)
        assert_shape(ready, load("veo", "get-1080p-video")["response"])
        assert ready["data"]["resultUrl"].endswith(".mp4")
        for fixture, path in (("get-4k-video", "/api/v1/veo/get-4k-video"), ("extend", "/api/v1/veo/extend")):
            child = await create(call, "veo", fixture, path, receiver, taskId=task_id)
            state.complete_task(child)
            record = await call("GET", "/api/v1/veo/record-info", params={"taskId": child})
            assert_shape(record, load("veo", "record-info")["response"])
        assert record["data"]["response"]["resolution"] in ("720p", "1080p")

    async def test_mj_upscale_and_vary(self, call: Call, state: KieState, receiver: CallbackReceiver) -> None:
        """Upscale (imageIndex 0-3) makes one picture; vary makes a new grid of four."""
        grid = await create(call, "mj", "generate", "/api/v1/mj/generate", receiver)
        state.complete_task(grid)
        counts = {}
        for fixture, path in (("upscale", "/api/v1/mj/generateUpscale"), ("vary", "/api/v1/mj/generateVary")):
            child = await create(call, "mj", fixture, path, receiver, taskId=grid)
            state.complete_task(child)
            record = await call("GET", "/api/v1/mj/record-info", params={"taskId": child})
            assert_shape(record, load("mj", "record-info")["response"])
            counts[fixture] = len(record["data"]["resultInfoJson"]["resultUrls"])
        assert counts == {"upscale": 1, "vary": 4}

    async def test_runway_extend(self, call: Call, state: KieState, receiver: CallbackReceiver) -> None:
        """Extend names a finished Runway task; its record points back at it."""
        parent = await create(call, "runway", "generate", "/api/v1/runway/generate", receiver)
        state.complete_task(parent)
        child = await create(call, "runway", "extend", "/api/v1/runway/extend", receiver, taskId=parent)
        state.complete_task(child)
        record = await call("GET", "/api/v1/runway/record-detail", params={"taskId": child})
        assert_shape(record, load("runway", "record-detail")["response"])
        assert record["data"]["parentTaskId"] == parent

    async def test_gpt4o_download_url(self, call: Call, state: KieState, receiver: CallbackReceiver) -> None:
        """download-url answers a plain string link for a result of the task."""
        task_id = await create(call, "gpt4o", "generate", "/api/v1/gpt4o-image/generate", receiver)
        state.complete_task(task_id)
        record = await call("GET", "/api/v1/gpt4o-image/record-info", params={"taskId": task_id})
        url = record["data"]["response"]["resultUrls"][0]
        answer = await call("POST", "/api/v1/gpt4o-image/download-url", json={"taskId": task_id, "url": url})
        assert_shape(answer, load("gpt4o", "download-url")["response"])
        foreign = await call(
            "POST", "/api/v1/gpt4o-image/download-url", json={"taskId": task_id, "url": "https://x.io/a.png"}
        )
        assert foreign["code"] == 422

    async def test_documented_kling_3_example_is_accepted(
        self, call: Call, receiver: CallbackReceiver
    ) -> None:
        """The Kling 3.0 page's own createTask example (multi-shot, elements) creates a task."""
        await create(call, "market", "create-kling-3", "/api/v1/jobs/createTask", receiver)

    async def test_common_endpoints(self, call: Call) -> None:
        """credit answers a number; a bad key answers the documented 401 body."""
        assert_shape(await call("GET", "/api/v1/chat/credit"), load("common", "credit")["response"])
        unknown = await call("GET", "/api/v1/jobs/recordInfo", params={"taskId": "nope"})
        assert unknown == load("market", "record-info-unknown")["response"]
