"""Every KIE API family against its documented bodies (the golden fixtures, tests/kie/fixtures/).

For each family: the create body the client builds equals the documented request, a documented create
answer yields the taskId, the documented record maps onto a SUCCESS `TaskRecord` with the documented
result URLs, and the documented callback names the task. Running and failed records are derived from
the success record by changing only the documented state field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from shared.catalog import Route
from shared.kie import KieCallbackError, TaskState, parse_callback
from shared.kie.families import FAMILIES, family_for
from tests.kie.fixtures import ROUTE_FILES, documented, load
from tests.shared.kie.conftest import ClientFactory
from tests.shared.kie.stub import KieStub, Reply


@dataclass(frozen=True)
class Case:
    """How one family's documented request maps to a registry model id and user parameters."""

    route: str
    model: str
    not_params: tuple[str, ...]
    urls: tuple[str, ...]
    paths: tuple[str, str] = ("", "")

    def load(self, name: str) -> dict[str, Any]:
        """One documented body of this route (create_request, create_response, record_success, ...)."""
        return documented(self.route, name)

    def callback(self) -> str:
        """The callback URL of the documented request."""
        return str(self.load("create_request")["callBackUrl"])

    def params(self) -> dict[str, Any]:
        """The user's parameters inside the documented request."""
        body = self.load("create_request")
        if self.route == "market":
            return dict(body["input"])
        return {k: v for k, v in body.items() if k not in (*self.not_params, "callBackUrl")}


CASES = [
    Case(
        "market",
        "nano-banana-2",
        (),
        ("https://example.com/generated-content.jpg",),
        ("/api/v1/jobs/createTask", "/api/v1/jobs/recordInfo"),
    ),
    Case(
        "suno",
        "V4",
        ("model",),
        ("https://example.cn/****.mp3",),
        ("/api/v1/generate", "/api/v1/generate/record-info"),
    ),
    Case(
        "veo",
        "veo3_fast",
        ("model",),
        ("http://example.com/video1.mp4",),
        ("/api/v1/veo/generate", "/api/v1/veo/record-info"),
    ),
    Case(
        "4o-image",
        "gpt4o-image",
        (),
        ("https://example.com/result/image1.png",),
        ("/api/v1/gpt4o-image/generate", "/api/v1/gpt4o-image/record-info"),
    ),
    Case(
        "flux-kontext",
        "flux-kontext-pro",
        ("model",),
        ("https://example.com/result.jpg",),
        ("/api/v1/flux/kontext/generate", "/api/v1/flux/kontext/record-info"),
    ),
    Case(
        "midjourney",
        "midjourney/text-to-image",
        ("taskType",),
        tuple(
            f"https://tempfile.aiquickdraw.com/v/42ea4a4250571eb18361bd2e309c8e8a_0_{i}.jpeg"
            for i in range(4)
        ),
        ("/api/v1/mj/generate", "/api/v1/mj/record-info"),
    ),
    Case(
        "runway",
        "runway/gen-4",
        (),
        ("https://file.com/k/xxxxxxx.mp4",),
        ("/api/v1/runway/generate", "/api/v1/runway/record-detail"),
    ),
    Case(
        "aleph",
        "runway/aleph",
        (),
        ("https://file.com/k/xxxxxxx.mp4",),
        ("/api/v1/aleph/generate", "/api/v1/aleph/record-info"),
    ),
]
IDS = [case.route for case in CASES]
CALLBACK = "https://your-domain.com/api/callback"

# The documented field that says "still running" / "failed" in each family's record.
RUNNING = {
    "market": {"state": "generating", "resultJson": ""},
    "suno": {"status": "FIRST_SUCCESS"},
    "runway": {"state": "queueing"},
    "4o-image": {"successFlag": 0, "status": "GENERATING"},
}
FAILED = {
    "market": {"state": "fail", "resultJson": "", "failCode": "422", "failMsg": "Invalid prompt"},
    "suno": {"status": "SENSITIVE_WORD_ERROR", "errorCode": None, "errorMessage": "prohibited words"},
    "runway": {"state": "fail", "failCode": 400, "failMsg": "content policy"},
    "4o-image": {"successFlag": 2, "status": "GENERATE_FAILED", "errorCode": 400, "errorMessage": "policy"},
}
FLAG_RUNNING = {"successFlag": 0}
FLAG_FAILED = {"successFlag": 3, "errorCode": 400, "errorMessage": "content policy"}


def test_every_family_has_fixtures() -> None:
    """The table covers every family of the client, and each has its four documented bodies."""
    assert sorted(FAMILIES) == sorted(IDS) == sorted(route.value for route in Route) == sorted(ROUTE_FILES)
    for case in CASES:
        for name in ("create_request", "create_response", "record_success", "callback_success"):
            assert case.load(name), (case.route, name)


@pytest.mark.parametrize("case", CASES, ids=IDS)
class TestFamily:
    """One family, end to end at the HTTP boundary."""

    def test_create_body_is_the_documented_request(self, case: Case) -> None:
        """model id + parameters + callback URL build exactly the documented body."""
        body = family_for(case.route).build(case.model, case.params(), case.callback())
        assert body == case.load("create_request")

    async def test_submit_and_record_through_the_client(
        self, case: Case, stub: KieStub, make_client: ClientFactory
    ) -> None:
        """The client posts to the family's create path, then reads its record as a SUCCESS."""
        create_path, record_path = case.paths  # the documented paths, not the family's own
        stub.script(create_path, Reply(case.load("create_response")))
        stub.script(record_path, Reply(case.load("record_success")))
        client = await make_client()
        task_id = await client.submit(case.route, case.model, case.params(), case.callback())
        assert task_id == case.load("create_response")["data"]["taskId"]
        assert stub.hits(create_path)[0].json() == case.load("create_request")
        record = await client.record(case.route, task_id)
        assert stub.hits(record_path)[0].query == {"taskId": task_id}
        assert record.state is TaskState.SUCCESS and record.result_urls == case.urls
        assert record.fail_code is None

    def test_running_record_is_not_terminal(self, case: Case) -> None:
        """The documented running state maps to a non-terminal state without results."""
        record = family_for(case.route).parse(self._with(case, RUNNING.get(case.route, FLAG_RUNNING)))
        assert not record.state.is_terminal and record.result_urls == ()

    def test_failed_record_carries_the_fail_code(self, case: Case) -> None:
        """The documented failure maps to FAIL, no results, and a fail code for the refund message."""
        record = family_for(case.route).parse(self._with(case, FAILED.get(case.route, FLAG_FAILED)))
        assert record.state is TaskState.FAIL and record.result_urls == ()
        assert record.fail_code in ("400", "422")

    def test_callback_names_the_task(self, case: Case) -> None:
        """The documented success callback parses, succeeds and names its task id."""
        body = case.load("callback_success")
        event = parse_callback(json.dumps(body).encode())
        data = body["data"]
        assert event.task_id == (data.get("taskId") or data.get("task_id") or body.get("taskId"))
        assert event.succeeded

    @staticmethod
    def _with(case: Case, change: dict[str, Any]) -> dict[str, Any]:
        return {**case.load("record_success")["data"], **change}


class TestFamilyDetails:
    """What some families say beyond URLs and states."""

    def test_suno_tracks_keep_title_cover_and_length(self) -> None:
        """Each Suno track becomes an item with its title, cover image and duration."""
        data = Case("suno", "", (), ()).load("record_success")["data"]
        (track,) = family_for("suno").parse(data).items
        assert (track.title, track.cover_url, track.duration) == (
            "\u94a2\u94c1\u4fa0",  # the doc example's title
            "https://example.cn/****.jpeg",
            198.44,
        )

    def test_suno_stages_before_complete_do_not_succeed(self) -> None:
        """Suno's `text` and `first` callbacks are not a finished success; `complete` is."""
        body = Case("suno", "", (), ()).load("callback_success")
        for stage, final in (("text", False), ("first", False), ("complete", True)):
            event = parse_callback({**body, "data": {**body["data"], "callbackType": stage}})
            assert (event.stage, event.succeeded) == (stage, final)

    def test_suno_callback_exception_with_tracks_is_a_success(self) -> None:
        """CALLBACK_EXCEPTION only says our endpoint failed: tracks present means the music exists."""
        data = Case("suno", "", (), ()).load("record_success")["data"]
        assert family_for("suno").parse({**data, "status": "CALLBACK_EXCEPTION"}).state is TaskState.SUCCESS
        empty = {**data, "status": "CALLBACK_EXCEPTION", "response": {"sunoData": []}}
        assert family_for("suno").parse(empty).state is TaskState.FAIL

    def test_suno_failure_without_message_is_named_by_its_status(self) -> None:
        """SENSITIVE_WORD_ERROR with a null errorMessage still tells why (the jobs program reads it)."""
        data = Case("suno", "", (), ()).load("record_success")["data"]
        failed = {**data, "status": "SENSITIVE_WORD_ERROR", "errorMessage": None, "response": None}
        record = family_for("suno").parse(failed)
        assert (record.fail_code, record.fail_msg) == ("400", "SENSITIVE_WORD_ERROR")

    def test_midjourney_result_info_as_json_text_is_read(self) -> None:
        """`resultInfoJson` sent as a JSON string reads the same as the object."""
        data = Case("midjourney", "", (), ()).load("record_success")["data"]
        text = {**data, "resultInfoJson": json.dumps(data["resultInfoJson"])}
        assert len(family_for("midjourney").parse(text).result_urls) == 4

    def test_gpt4o_failed_status_wins_over_a_running_flag(self) -> None:
        """A GENERATE_FAILED status is a failure even while successFlag still says 0."""
        data = Case("4o-image", "", (), ()).load("record_success")["data"]
        record = family_for("4o-image").parse({**data, "successFlag": 0, "status": "GENERATE_FAILED"})
        assert record.state is TaskState.FAIL

    @pytest.mark.parametrize(
        ("route", "created", "completed"),
        [
            (
                "flux-kontext",
                datetime(2024, 3, 20, 10, 25, tzinfo=UTC),
                datetime(2024, 3, 20, 10, 30, tzinfo=UTC),
            ),
            ("veo", datetime(2025, 6, 6, 10, 25, tzinfo=UTC), datetime(2025, 6, 6, 10, 30, tzinfo=UTC)),
            ("4o-image", datetime(2023, 1, 1, 8, 20, tzinfo=UTC), datetime(2023, 1, 1, 12, tzinfo=UTC)),
        ],
    )
    def test_record_times_read_as_the_docs_write_them(
        self, route: str, created: datetime, completed: datetime
    ) -> None:
        """ISO text (Flux), "YYYY-MM-DD HH:MM:SS" (Veo) and ms numbers (4o Image) all read as times."""
        record = family_for(route).parse(documented(route, "record_success")["data"])
        assert (record.create_time, record.complete_time) == (created, completed)

    def test_unknown_route_is_named(self) -> None:
        """A route without a family is a clear error naming it."""
        with pytest.raises(ValueError, match="'luma'"):
            family_for("luma")

    def test_callback_without_any_task_id_is_malformed(self) -> None:
        """A body naming no task in any documented place is rejected."""
        with pytest.raises(KieCallbackError):
            parse_callback({"code": 200, "msg": "ok", "data": {"info": {"resultUrls": []}}})


class TestFollowUps:
    """Per-family follow-ups on a finished task (Veo 1080p, Midjourney upscale of one of four)."""

    async def test_midjourney_upscale_posts_the_documented_body(
        self, stub: KieStub, make_client: ClientFactory
    ) -> None:
        """generateUpscale gets the documented body (imageIndex 0-3) and its answer's taskId comes back."""
        documented_call = load("mj", "upscale")
        request, answer = documented_call["request"], documented_call["response"]
        stub.script("/api/v1/mj/generateUpscale", Reply(answer))
        client = await make_client()
        fields = {k: v for k, v in request.items() if k != "callBackUrl"}
        task_id = await client.follow_up("midjourney", "upscale", fields, request["callBackUrl"])
        assert task_id == answer["data"]["taskId"]
        assert stub.hits("/api/v1/mj/generateUpscale")[0].json() == request

    async def test_veo_1080p_url_or_not_ready(self, stub: KieStub, make_client: ClientFactory) -> None:
        """get-1080p-video answers the documented data.resultUrl; an error while it is made reads as None."""
        documented_call = load("veo", "get-1080p-video")
        request, answer = documented_call["request"], documented_call["response"]
        stub.script(request["path"], Reply({"code": 422, "msg": "not ready", "data": None}), Reply(answer))
        client = await make_client()
        task_id = request["query"]["taskId"]
        assert await client.veo_1080p(task_id) is None
        assert await client.veo_1080p(task_id) == answer["data"]["resultUrl"]
        assert stub.hits(request["path"])[-1].query == request["query"]

    async def test_unknown_follow_up_is_named(self, make_client: ClientFactory) -> None:
        """A follow-up the family does not have is refused before anything is sent."""
        client = await make_client()
        with pytest.raises(ValueError, match="'upscale'"):
            await client.follow_up("veo", "upscale", {"taskId": "t"})


def test_the_note_lists_every_family_endpoint() -> None:
    """docs/kie-families.md names every family's create and record paths and every follow-up path."""
    note = (Path(__file__).parents[3] / "docs" / "kie-families.md").read_text(encoding="utf-8")
    for family in FAMILIES.values():
        assert f"`{family.route}`" in note and family.create_path in note and family.record_path in note
        assert all(path in note or path.rsplit("/", 1)[1] in note for path in family.follow_ups.values())
