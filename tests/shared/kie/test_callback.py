"""Callback verification (our URL token, KIE's HMAC signature with freshness) and callback parsing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from shared.kie import (
    KieCallbackError,
    RejectReason,
    TaskState,
    callback_token,
    callback_token_expiry,
    parse_callback,
    verify_webhook_signature,
    webhook_signature,
)

TOKEN_KEY = "callback-token-key"
HMAC_KEY = "webhook-hmac-key"
NOW = 1_755_599_700

# Market callback examples (kie-api.md §2.4).
SUCCESS_BODY = {
    "code": 200,
    "msg": "Playground task completed successfully.",
    "data": {
        "taskId": "e989621f54392584b05867f87b160672",
        "model": "nano-banana-pro",
        "state": "success",
        "param": '{"callBackUrl":"https://your-domain.com/api/callback","model":"nano-banana-pro","input":{}}',
        "resultJson": '{"resultUrls":["https://tempfile.aiquickdraw.com/p/x.jpg"]}',
        "failCode": None,
        "failMsg": None,
        "costTime": 8,
        "creditsConsumed": 5,
        "createTime": 1755599634000,
        "completeTime": 1755599644000,
        "updateTime": 1755599644000,
    },
}
FAIL_BODY = {
    "code": 501,
    "msg": "Playground task failed.",
    "data": {
        "taskId": "bd3a37c523149e4adf45a3ddb5faf1a8",
        "model": "nano-banana-pro",
        "state": "fail",
        "param": "{}",
        "resultJson": None,
        "failCode": "500",
        "failMsg": "Internal server error",
        "costTime": 0,
        "createTime": 1755596341000,
        "completeTime": 1755597081000,
    },
}


class TestCallbackToken:
    """Our callback URL token: its expiry, then an HMAC-SHA256 hex of the job id with that expiry."""

    def test_token_is_expiry_and_hmac_of_job_id_and_expiry(self) -> None:
        """The token is "expiry.HMAC-SHA256(key, job_id.expiry)" in hex."""
        mac = hmac.new(TOKEN_KEY.encode(), b"job-42.1700000000", hashlib.sha256).hexdigest()
        assert callback_token("job-42", TOKEN_KEY, 1700000000) == f"1700000000.{mac}"

    def test_valid_token_gives_its_expiry(self) -> None:
        """The token minted for a job is genuine for that job and carries its expiry."""
        token = callback_token("job-42", TOKEN_KEY, 1700000000)
        assert callback_token_expiry("job-42", token, TOKEN_KEY) == 1700000000

    @pytest.mark.parametrize(
        ("job_id", "token"),
        [
            ("job-43", callback_token("job-42", TOKEN_KEY, 1700000000)),
            ("job-42", callback_token("job-42", "other-key", 1700000000)),
            ("job-42", callback_token("job-42", TOKEN_KEY, 1700000000).replace("1700000000", "1800000000")),
            ("job-42", hmac.new(TOKEN_KEY.encode(), b"job-42", hashlib.sha256).hexdigest()),  # old format
            ("job-42", ""),
            ("job-42", "zz" * 32),
            ("job-42", "ünïcode.abc"),
            ("job-42", "²³.abc"),
        ],
    )
    def test_forged_tokens_fail(self, job_id: str, token: str) -> None:
        """Another job's or key's token, a lengthened expiry, the old never-expiring form, garbage: None."""
        assert callback_token_expiry(job_id, token, TOKEN_KEY) is None

    def test_empty_key_is_refused(self) -> None:
        """An empty key would make tokens guessable, so it raises ValueError."""
        with pytest.raises(ValueError):
            callback_token("job-42", "", 1700000000)


class TestWebhookSignature:
    """KIE's X-Webhook-Signature over "taskId.timestamp", with a freshness window."""

    def test_signature_matches_the_documented_formula(self) -> None:
        """The signature is base64(HMAC-SHA256(key, taskId + "." + timestamp))."""
        digest = hmac.new(HMAC_KEY.encode(), f"t1.{NOW}".encode(), hashlib.sha256).digest()
        assert webhook_signature("t1", NOW, HMAC_KEY) == base64.b64encode(digest).decode()

    def test_fresh_valid_signature_passes(self) -> None:
        """A correct signature with a current timestamp is accepted."""
        signature = webhook_signature("t1", NOW, HMAC_KEY)
        verify_webhook_signature(
            task_id="t1", timestamp=str(NOW), signature=signature, key=HMAC_KEY, now=NOW + 5
        )

    @pytest.mark.parametrize("skew", [-301, 301, -86_400])
    def test_stale_or_future_timestamp_is_rejected(self, skew: int) -> None:
        """A validly signed callback whose timestamp is > 300 s off is rejected as stale."""
        stamp = NOW + skew
        signature = webhook_signature("t1", stamp, HMAC_KEY)
        with pytest.raises(KieCallbackError) as caught:
            verify_webhook_signature(
                task_id="t1", timestamp=str(stamp), signature=signature, key=HMAC_KEY, now=NOW
            )
        assert caught.value.reason is RejectReason.STALE_TIMESTAMP

    @pytest.mark.parametrize(
        ("task_id", "signature", "key"),
        [
            ("t2", webhook_signature("t1", NOW, HMAC_KEY), HMAC_KEY),
            ("t1", webhook_signature("t1", NOW, "wrong"), HMAC_KEY),
            ("t1", webhook_signature("t1", NOW + 1, HMAC_KEY), HMAC_KEY),
            ("t1", "not-base64!", HMAC_KEY),
        ],
    )
    def test_bad_signature_is_rejected(self, task_id: str, signature: str, key: str) -> None:
        """A signature for another task, key or timestamp, or garbage, is BAD_SIGNATURE."""
        with pytest.raises(KieCallbackError) as caught:
            verify_webhook_signature(
                task_id=task_id, timestamp=str(NOW), signature=signature, key=key, now=NOW
            )
        assert caught.value.reason is RejectReason.BAD_SIGNATURE

    @pytest.mark.parametrize(("timestamp", "signature"), [(None, "x"), (str(NOW), None), ("", "")])
    def test_missing_headers_are_rejected(self, timestamp: str | None, signature: str | None) -> None:
        """Absent signature headers are MISSING_SIGNATURE."""
        with pytest.raises(KieCallbackError) as caught:
            verify_webhook_signature(task_id="t1", timestamp=timestamp, signature=signature, key=HMAC_KEY)
        assert caught.value.reason is RejectReason.MISSING_SIGNATURE

    @pytest.mark.parametrize("timestamp", ["12.5", "abc", "-5", "\u0661\u0662\u0663"])
    def test_non_integer_timestamp_is_malformed(self, timestamp: str) -> None:
        """A timestamp that is not a plain ASCII integer number of seconds is MALFORMED."""
        with pytest.raises(KieCallbackError) as caught:
            verify_webhook_signature(task_id="t1", timestamp=timestamp, signature="x", key=HMAC_KEY, now=NOW)
        assert caught.value.reason is RejectReason.MALFORMED


class TestParseCallback:
    """`parse_callback` reads the documented Market callback bodies."""

    def test_success_callback(self) -> None:
        """The success example yields code 200, a SUCCESS record and its result URL."""
        event = parse_callback(json.dumps(SUCCESS_BODY).encode())
        assert event.succeeded
        assert event.task_id == "e989621f54392584b05867f87b160672"
        assert event.record.state is TaskState.SUCCESS
        assert event.record.result_urls == ("https://tempfile.aiquickdraw.com/p/x.jpg",)
        assert event.record.callback_url == "https://your-domain.com/api/callback"
        assert event.record.credits_consumed == 5

    def test_failure_callback(self) -> None:
        """The failure example yields code 501, a FAIL record and KIE's fail code and message."""
        event = parse_callback(FAIL_BODY)
        assert not event.succeeded
        assert event.code == 501
        assert event.record.state is TaskState.FAIL
        assert (event.record.fail_code, event.record.fail_msg) == ("500", "Internal server error")

    def test_snake_case_task_id_is_accepted(self) -> None:
        """The signature doc sample names the id `task_id`; it is read as the task id."""
        data = {k: v for k, v in SUCCESS_BODY["data"].items() if k != "taskId"}  # type: ignore[attr-defined]
        event = parse_callback({**SUCCESS_BODY, "data": {**data, "task_id": "snake"}})
        assert event.task_id == "snake"

    @pytest.mark.parametrize(
        "body",
        [
            b"not json",
            b"[]",
            b'{"msg":"x","data":{}}',
            b'{"code":200,"data":null}',
            b'{"code":200,"data":{}}',
            b"[" * 200_000 + b"]" * 200_000,
            b'{"code":' + b"9" * 5000 + b',"data":{"taskId":"t"}}',
        ],
    )
    def test_malformed_bodies_are_rejected(self, body: bytes) -> None:
        """Non-JSON, non-objects, missing code/data/taskId, absurd nesting or digits are MALFORMED."""
        with pytest.raises(KieCallbackError) as caught:
            parse_callback(body)
        assert caught.value.reason is RejectReason.MALFORMED
