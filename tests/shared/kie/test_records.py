"""Parsing of KIE task records from the field shapes the reference documents (kie-api.md §2.2, §2.4)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.kie import KieProtocolError, TaskState
from shared.kie.records import parse_task_record
from tests.shared.kie.conftest import ClientFactory
from tests.shared.kie.stub import KieStub, ok

RECORD = "/api/v1/jobs/recordInfo"

# recordInfo success example, as documented.
DOC_SUCCESS: dict[str, Any] = {
    "taskId": "task_12345678",
    "model": "grok-imagine/text-to-image",
    "state": "success",
    "param": '{"model":"grok-imagine/text-to-image","callBackUrl":"https://your-domain.com/api/callback",'
    '"input":{"prompt":"Cinematic portrait...","aspect_ratio":"3:2"}}',
    "resultJson": '{"resultUrls":["https://example.com/generated-content.jpg"]}',
    "failCode": "",
    "failMsg": "",
    "costTime": 15000,
    "completeTime": 1698765432000,
    "createTime": 1698765400000,
    "updateTime": 1698765432000,
}

# recordInfo fail example, as documented.
DOC_FAIL: dict[str, Any] = {
    **DOC_SUCCESS,
    "state": "fail",
    "resultJson": "",
    "failCode": "422",
    "failMsg": "Invalid prompt: prompt contains prohibited content",
}

# A live-looking record: nulls instead of "", extra fields, nested JSON-string input, fractional credits.
LIVE_RUNNING: dict[str, Any] = {
    "taskId": "e989621f54392584b05867f87b160672",
    "recordId": "e989621f54392584b05867f87b160672",
    "model": "sora-2-text-to-video",
    "state": "generating",
    "param": json.dumps({"model": "sora-2-text-to-video", "input": json.dumps({"prompt": "waves"})}),
    "resultJson": None,
    "failCode": None,
    "failMsg": None,
    "costTime": None,
    "creditsConsumed": 0.8,
    "progress": 42,
    "successFlag": 0,
    "createTime": 1755599634000,
    "updateTime": 1755599640000,
    "completeTime": None,
}


class TestTaskRecord:
    """`parse_task_record` turns KIE's stringly fields into typed values."""

    def test_documented_success_record(self) -> None:
        """The doc success example yields state, URLs, parsed param and UTC datetimes."""
        record = parse_task_record(DOC_SUCCESS)
        assert record.state is TaskState.SUCCESS
        assert record.state.is_terminal
        assert record.result_urls == ("https://example.com/generated-content.jpg",)
        assert record.input == {"prompt": "Cinematic portrait...", "aspect_ratio": "3:2"}
        assert record.callback_url == "https://your-domain.com/api/callback"
        assert record.fail_code is None and record.fail_msg is None
        assert record.cost_time == 15000
        assert record.create_time == datetime(2023, 10, 31, 15, 16, 40, tzinfo=UTC)
        assert record.complete_time == datetime.fromtimestamp(1698765432, tz=UTC)

    def test_documented_fail_record(self) -> None:
        """The doc fail example has no URLs and keeps failCode/failMsg as text."""
        record = parse_task_record(DOC_FAIL)
        assert record.state is TaskState.FAIL
        assert record.result_urls == ()
        assert record.fail_code == "422"
        assert record.fail_msg == "Invalid prompt: prompt contains prohibited content"

    def test_live_record_with_nulls_and_nested_input(self) -> None:
        """Nulls, extra fields and an `input` that is itself a JSON string are all tolerated."""
        record = parse_task_record(LIVE_RUNNING)
        assert record.state is TaskState.GENERATING
        assert not record.state.is_terminal
        assert record.input == {"prompt": "waves"}
        assert record.credits_consumed == 0.8
        assert record.progress == 42
        assert record.complete_time is None
        assert record.callback_url is None

    def test_unknown_state_counts_as_running(self) -> None:
        """A state KIE adds later is reported as GENERATING and kept verbatim."""
        record = parse_task_record({**LIVE_RUNNING, "state": "rendering"})
        assert record.state is TaskState.GENERATING
        assert record.state_raw == "rendering"

    def test_text_model_result_object(self) -> None:
        """Text models put `resultObject` in resultJson instead of URLs."""
        record = parse_task_record({**DOC_SUCCESS, "resultJson": '{"resultObject":{"text":"hi"}}'})
        assert record.result_urls == ()
        assert record.result_object == {"text": "hi"}

    def test_suno_response_audio_urls(self) -> None:
        """Suno via Market: tracks come from response.data[].audio_url."""
        response = {"data": [{"audio_url": "https://x/a.mp3"}, {"audio_url": "https://x/b.mp3"}]}
        record = parse_task_record({**DOC_SUCCESS, "resultJson": "{}", "response": response})
        assert record.result_urls == ("https://x/a.mp3", "https://x/b.mp3")

    @pytest.mark.parametrize(
        "data",
        [
            None,
            [],
            {"state": "success"},
            {**DOC_SUCCESS, "resultJson": "{not json"},
            {**DOC_SUCCESS, "param": 5},
        ],
    )
    def test_malformed_records_raise_protocol_error(self, data: object) -> None:
        """Missing taskId, non-objects and broken JSON strings raise KieProtocolError."""
        with pytest.raises(KieProtocolError):
            parse_task_record(data)


class TestRecordInfoCall:
    """`KieClient.record_info` returns the parsed record of the documented answer."""

    async def test_record_info_round_trip(self, stub: KieStub, make_client: ClientFactory) -> None:
        """The query carries taskId and the answer is parsed into a TaskRecord."""
        stub.script(RECORD, ok(DOC_SUCCESS))
        client = await make_client()
        record = await client.record_info("task_12345678")
        assert stub.hits(RECORD)[0].query == {"taskId": "task_12345678"}
        assert record.model == "grok-imagine/text-to-image"
        assert record.result_urls == ("https://example.com/generated-content.jpg",)

    async def test_malformed_record_names_the_task(self, stub: KieStub, make_client: ClientFactory) -> None:
        """A record whose resultJson is broken raises KieProtocolError carrying the task id."""
        stub.script(RECORD, ok({**DOC_SUCCESS, "resultJson": "{broken"}))
        client = await make_client()
        with pytest.raises(KieProtocolError) as caught:
            await client.record_info("task_12345678")
        assert caught.value.task_id == "task_12345678"
