"""KieClient against a scripted KIE stand-in: envelopes, retries, createTask safety, timeouts, lifecycle."""

from __future__ import annotations

import aiohttp
import pytest
import redis.asyncio as aioredis
from structlog.testing import capture_logs

from shared.kie import (
    KieApiError,
    KieAuthError,
    KieClient,
    KieClientClosedError,
    KieConnectError,
    KieGatewayError,
    KieInsufficientCreditsError,
    KieNotFoundError,
    KieProtocolError,
    KieRateLimitedError,
    KieRecordNotFoundError,
    KieServerError,
    KieSubmitOutcomeUnknownError,
    KieTimeoutError,
    KieValidationError,
    RedisWindowLimiter,
    RetryPolicy,
)
from tests.conftest import free_port
from tests.shared.kie.conftest import API_KEY, FAST_RETRY, FAST_TIMEOUTS, ClientFactory
from tests.shared.kie.stub import KieStub, Reply, err, ok

CREATE = "/api/v1/jobs/createTask"
RECORD = "/api/v1/jobs/recordInfo"
CREDIT = "/api/v1/chat/credit"
DOWNLOAD = "/api/v1/common/download-url"
CREATED = ok({"taskId": "task_seedream_1765172101886"})
RECORD_DATA = {"taskId": "t1", "model": "m", "state": "waiting", "param": "", "resultJson": ""}


class TestEnvelope:
    """The body `code` decides, whatever the HTTP status says."""

    async def test_http_200_with_code_422_raises_validation_error(
        self, stub: KieStub, make_client: ClientFactory
    ) -> None:
        """HTTP 200 carrying code 422 is a KieValidationError with KIE's message."""
        stub.script(CREATE, err(422, "prompt is required"))
        client = await make_client()
        with pytest.raises(KieValidationError) as caught:
            await client.create_task("nano-banana-2", {})
        assert caught.value.code == 422
        assert caught.value.http_status == 200
        assert "prompt is required" in str(caught.value)

    async def test_http_200_with_code_401_raises_auth_error(
        self, stub: KieStub, make_client: ClientFactory
    ) -> None:
        """The documented 401 body inside an HTTP 200 is a KieAuthError."""
        stub.script(CREDIT, err(401, "You do not have access permissions"))
        client = await make_client()
        with pytest.raises(KieAuthError):
            await client.credit_balance()

    async def test_error_http_status_with_envelope_maps_body_code(
        self, stub: KieStub, make_client: ClientFactory
    ) -> None:
        """An HTTP 402 carrying the envelope is a KieInsufficientCreditsError."""
        stub.script(CREATE, err(402, "The current credits are insufficient.", http_status=402))
        client = await make_client()
        with pytest.raises(KieInsufficientCreditsError) as caught:
            await client.create_task("m", {"prompt": "x"})
        assert caught.value.http_status == 402

    async def test_message_field_is_used_when_msg_is_absent(
        self, stub: KieStub, make_client: ClientFactory
    ) -> None:
        """Some KIE answers say `message` instead of `msg`; its text reaches the error."""
        stub.script(RECORD, Reply({"code": 404, "message": "Task not found", "data": None}))
        client = await make_client()
        with pytest.raises(KieNotFoundError) as caught:
            await client.record_info("nope")
        assert caught.value.message == "Task not found"
        assert caught.value.task_id == "nope"

    async def test_record_info_null_is_record_not_found(
        self, stub: KieStub, make_client: ClientFactory
    ) -> None:
        """code 422 "recordInfo is null" is the narrower KieRecordNotFoundError, not retried."""
        stub.script(RECORD, err(422, "recordInfo is null"))
        client = await make_client()
        with pytest.raises(KieRecordNotFoundError):
            await client.record_info("fresh")
        assert len(stub.hits(RECORD)) == 1

    async def test_non_json_200_is_protocol_error(self, stub: KieStub, make_client: ClientFactory) -> None:
        """An HTTP 200 whose body is not a KIE envelope is a KieProtocolError."""
        stub.script(CREDIT, Reply(raw=b"<html>hello</html>"))
        client = await make_client()
        with pytest.raises(KieProtocolError):
            await client.credit_balance()

    async def test_credit_balance_accepts_fractional_numbers(
        self, stub: KieStub, make_client: ClientFactory
    ) -> None:
        """The balance is returned as KIE's number, integer or fractional."""
        stub.script(CREDIT, ok(100), ok(12.5))
        client = await make_client()
        assert await client.credit_balance() == 100
        assert await client.credit_balance() == 12.5

    async def test_download_url_returns_the_direct_link(
        self, stub: KieStub, make_client: ClientFactory
    ) -> None:
        """download-url posts the KIE URL and returns the plain-string link."""
        stub.script(DOWNLOAD, ok("https://tempfile.aiquickdraw.com/d/abc.png?sig=1"))
        client = await make_client()
        link = await client.download_url("https://tempfile.aiquickdraw.com/p/abc.png")
        assert link.endswith("sig=1")
        assert stub.hits(DOWNLOAD)[0].json() == {"url": "https://tempfile.aiquickdraw.com/p/abc.png"}

    async def test_requests_carry_bearer_and_json_content_type(
        self, stub: KieStub, make_client: ClientFactory
    ) -> None:
        """Every API call, GETs included, sends the bearer key and a JSON content type."""
        stub.script(CREDIT, ok(1))
        client = await make_client()
        await client.credit_balance()
        headers = stub.hits(CREDIT)[0].headers
        assert headers["Authorization"] == f"Bearer {API_KEY}"
        assert headers["Content-Type"] == "application/json"


class TestRetries:
    """Idempotent calls retry 429, 455, 500 and network failures, and nothing else."""

    @pytest.mark.parametrize("code", [429, 455, 500])
    async def test_retryable_code_then_success(
        self, stub: KieStub, make_client: ClientFactory, code: int
    ) -> None:
        """recordInfo answered `code` twice then success returns the record after three attempts."""
        stub.script(RECORD, err(code), err(code), ok(RECORD_DATA))
        client = await make_client()
        record = await client.record_info("t1")
        assert record.task_id == "t1"
        assert len(stub.hits(RECORD)) == 3

    async def test_attempts_are_bounded(self, stub: KieStub, make_client: ClientFactory) -> None:
        """A persistent 500 is raised after max_attempts tries."""
        stub.script(CREDIT, err(500, "boom"))
        client = await make_client()
        with pytest.raises(KieServerError):
            await client.credit_balance()
        assert len(stub.hits(CREDIT)) == FAST_RETRY.max_attempts

    @pytest.mark.parametrize("code", [401, 402, 404, 422, 433, 501, 505])
    async def test_non_retryable_code_is_raised_at_once(
        self, stub: KieStub, make_client: ClientFactory, code: int
    ) -> None:
        """Definite rejections are not retried."""
        stub.script(RECORD, err(code), ok(RECORD_DATA))
        client = await make_client()
        with pytest.raises(KieApiError) as caught:
            await client.record_info("t1")
        assert caught.value.code == code
        assert len(stub.hits(RECORD)) == 1

    async def test_gateway_502_is_retried_for_reads(self, stub: KieStub, make_client: ClientFactory) -> None:
        """A proxy's HTML 502 is a network failure: a read call retries it."""
        stub.script(CREDIT, Reply(raw=b"<html>bad gateway</html>", status=502), ok(7))
        client = await make_client()
        assert await client.credit_balance() == 7

    async def test_retries_are_logged_without_secrets(
        self, stub: KieStub, make_client: ClientFactory
    ) -> None:
        """Each retry logs one warning naming the error class."""
        stub.script(CREDIT, err(455), ok(1))
        client = await make_client()
        with capture_logs() as logs:
            await client.credit_balance()
        retries = [e for e in logs if e["event"] == "kie_retry"]
        assert [e["error"] for e in retries] == ["KieServiceUnavailableError"]


class TestCreateTaskSafety:
    """createTask is repeated only when KIE provably did not create a task."""

    async def test_returns_task_id_and_sends_callback_url(
        self, stub: KieStub, make_client: ClientFactory
    ) -> None:
        """The body carries model, input and callBackUrl; the taskId comes back."""
        stub.script(CREATE, CREATED)
        client = await make_client()
        task_id = await client.create_task(
            "nano-banana-2", {"prompt": "cat"}, "https://x/kie/callback/j1?t=ab"
        )
        assert task_id == "task_seedream_1765172101886"
        assert stub.hits(CREATE)[0].json() == {
            "model": "nano-banana-2",
            "input": {"prompt": "cat"},
            "callBackUrl": "https://x/kie/callback/j1?t=ab",
        }

    @pytest.mark.parametrize("code", [429, 455])
    async def test_rejections_that_create_nothing_are_retried(
        self, stub: KieStub, make_client: ClientFactory, code: int
    ) -> None:
        """429 (not queued) and 455 (maintenance) are retried until the task is created."""
        stub.script(CREATE, err(code), err(code), CREATED)
        client = await make_client()
        assert await client.create_task("m", {}) == "task_seedream_1765172101886"
        assert len(stub.hits(CREATE)) == 3

    async def test_persistent_429_raises_rate_limited(
        self, stub: KieStub, make_client: ClientFactory
    ) -> None:
        """When 429 persists past max_attempts the caller gets KieRateLimitedError (nothing created)."""
        stub.script(CREATE, err(429, "Rate limit exceeded"))
        client = await make_client()
        with pytest.raises(KieRateLimitedError):
            await client.create_task("m", {})
        assert len(stub.hits(CREATE)) == FAST_RETRY.max_attempts

    async def test_server_error_is_not_retried_and_marked_ambiguous(
        self, stub: KieStub, make_client: ClientFactory
    ) -> None:
        """A code 500 may hide a created task: one attempt, raised as outcome-unknown."""
        stub.script(CREATE, err(500), CREATED)
        client = await make_client()
        with pytest.raises(KieSubmitOutcomeUnknownError) as caught:
            await client.create_task("m", {})
        assert isinstance(caught.value.cause, KieServerError)
        assert len(stub.hits(CREATE)) == 1

    async def test_read_timeout_is_not_retried_and_marked_ambiguous(
        self, stub: KieStub, make_client: ClientFactory
    ) -> None:
        """A timeout after the request was sent is one attempt, raised as outcome-unknown."""
        stub.script(CREATE, Reply(CREATED.body, delay=0.6), CREATED)
        client = await make_client()
        with pytest.raises(KieSubmitOutcomeUnknownError) as caught:
            await client.create_task("m", {})
        assert isinstance(caught.value.cause, KieTimeoutError)
        assert len(stub.hits(CREATE)) == 1

    async def test_gateway_error_is_not_retried(self, stub: KieStub, make_client: ClientFactory) -> None:
        """A proxy 502 after sending may hide a created task: not retried, outcome-unknown."""
        stub.script(CREATE, Reply(raw=b"bad gateway", status=502), CREATED)
        client = await make_client()
        with pytest.raises(KieSubmitOutcomeUnknownError) as caught:
            await client.create_task("m", {})
        assert isinstance(caught.value.cause, KieGatewayError)

    @pytest.mark.parametrize("code", [402, 422])
    async def test_definite_rejections_are_raised_as_is(
        self, stub: KieStub, make_client: ClientFactory, code: int
    ) -> None:
        """402 and 422 are neither retried nor ambiguous."""
        stub.script(CREATE, err(code), CREATED)
        client = await make_client()
        with pytest.raises((KieInsufficientCreditsError, KieValidationError)):
            await client.create_task("m", {})
        assert len(stub.hits(CREATE)) == 1

    async def test_connection_refused_is_retried_and_takes_a_budget_slot_each_time(
        self, redis_client: aioredis.Redis, key_prefix: str, make_client: ClientFactory
    ) -> None:
        """Nothing was sent on a refused connection: every attempt retries and takes a budget slot."""
        limiter = RedisWindowLimiter(redis_client, key_prefix=key_prefix, limit=20, window_seconds=10)
        dead = f"http://127.0.0.1:{free_port()}"
        client = await make_client(api_base_url=dead, rate_limiter=limiter)
        with pytest.raises(KieConnectError):
            await client.create_task("m", {})
        assert await redis_client.zcard(limiter.key) == FAST_RETRY.max_attempts


class TestTimeouts:
    """Every call is bounded by the configured timeouts."""

    async def test_slow_read_times_out_then_retries(self, stub: KieStub, make_client: ClientFactory) -> None:
        """A reply slower than the read timeout raises internally and the idempotent call retries."""
        stub.script(RECORD, Reply(ok(RECORD_DATA).body, delay=0.6), ok(RECORD_DATA))
        client = await make_client()
        assert (await client.record_info("t1")).task_id == "t1"
        assert len(stub.hits(RECORD)) == 2

    async def test_persistent_slowness_raises_timeout_error(
        self, stub: KieStub, make_client: ClientFactory
    ) -> None:
        """A reply that is always too slow ends in KieTimeoutError after the bounded attempts."""
        stub.script(CREDIT, Reply(ok(1).body, delay=0.6))
        client = await make_client(retry_policy=RetryPolicy(max_attempts=2, base_delay=0.0))
        with pytest.raises(KieTimeoutError):
            await client.credit_balance()


class TestSecrets:
    """The API key never reaches an exception message, a repr or a log line."""

    async def test_key_echoed_by_server_is_redacted_everywhere(
        self, stub: KieStub, make_client: ClientFactory
    ) -> None:
        """Server text quoting the key is redacted in errors and in retry logs."""
        stub.script(CREDIT, err(500, f"upstream rejected {API_KEY}"), err(401, f"bad key {API_KEY}"))
        client = await make_client()
        with capture_logs() as logs, pytest.raises(KieAuthError) as caught:
            await client.credit_balance()
        assert logs, "the retry should have been logged"
        for text in (str(caught.value), repr(caught.value), caught.value.message, repr(logs), repr(client)):
            assert API_KEY not in text

    async def test_transport_failures_do_not_mention_the_key(self, make_client: ClientFactory) -> None:
        """Connection errors and their logs carry no key."""
        client = await make_client(api_base_url=f"http://127.0.0.1:{free_port()}")
        with capture_logs() as logs, pytest.raises(KieConnectError) as caught:
            await client.record_info("t1")
        assert API_KEY not in str(caught.value)
        assert API_KEY not in repr(logs)


class TestLifecycle:
    """Start/close are symmetric, idempotent and guarded."""

    async def test_call_before_start_raises(self, stub: KieStub) -> None:
        """Using a client that was never started raises KieClientClosedError."""
        client = KieClient(api_base_url=stub.url, upload_base_url=stub.url, api_key=API_KEY)
        with pytest.raises(KieClientClosedError):
            await client.credit_balance()

    async def test_call_after_close_raises_and_close_is_idempotent(self, stub: KieStub) -> None:
        """After close every call raises, and closing twice is harmless."""
        async with KieClient(api_base_url=stub.url, upload_base_url=stub.url, api_key=API_KEY) as client:
            pass
        await client.close()
        with pytest.raises(KieClientClosedError):
            await client.credit_balance()
        with pytest.raises(KieClientClosedError):
            await client.start()

    async def test_injected_session_is_used_and_left_open(self, stub: KieStub) -> None:
        """An injected session serves the calls and is not closed by the client."""
        stub.script(CREDIT, ok(3))
        async with aiohttp.ClientSession() as session:
            async with KieClient(
                api_base_url=stub.url,
                upload_base_url=stub.url,
                api_key=API_KEY,
                session=session,
                timeouts=FAST_TIMEOUTS,
            ) as client:
                assert await client.credit_balance() == 3
            assert not session.closed

    def test_empty_key_is_rejected(self) -> None:
        """An empty API key is a configuration error raised at construction."""
        with pytest.raises(ValueError):
            KieClient(api_base_url="http://a", upload_base_url="http://b", api_key="")


class TestFromSettings:
    """`KieClient.from_settings`: the one constructor the programs use."""

    async def test_built_from_settings_talks_to_the_configured_base(self, stub: KieStub) -> None:
        """Base URL and key come from the settings; the balance answer arrives through them."""
        from shared.settings import Settings

        stub.script("/api/v1/chat/credit", ok(321))
        settings = Settings(KIE_API_KEY=API_KEY, KIE_API_BASE_URL=stub.url, KIE_UPLOAD_BASE_URL=stub.url)
        async with KieClient.from_settings(settings) as client:
            assert await client.credit_balance() == 321
        assert stub.seen[-1].headers["Authorization"] == f"Bearer {API_KEY}"

    @pytest.mark.parametrize("key", [None, ""])
    def test_missing_key_is_a_config_error_naming_the_variable(self, key: str | None) -> None:
        """No key (unset or empty): ConfigError naming KIE_API_KEY, no client."""
        from shared.errors import ConfigError
        from shared.settings import Settings

        with pytest.raises(ConfigError, match="KIE_API_KEY"):
            KieClient.from_settings(Settings(KIE_API_KEY=key))
