"""`KieClient`: the one aiohttp adapter between TRT and KIE.ai (kie-api.md §1, §2, §4, §5, §6).

Tasks of every API family (Market, Suno, Veo, ...) go through `submit` and `record`, which take the
registry's `route` and leave the family's paths, body and record shape to `shared.kie.families`.

Every exchange goes through `shared.kie.transport.KieTransport` (shared with the catalogue reader):
a non-2xx HTTP status and a body `code` other than 200 are both errors, foreign exceptions are
translated to the typed tree in `shared.kie.errors`, and the API key never appears in a log line or an
exception message.

Retries live only in `_call`; what is retried depends on whether repeating the request is harmless:

- idempotent calls (recordInfo, credit, download-url, byte uploads): 429, 455, 500, network errors
  and timeouts, with exponential backoff and full jitter, up to `RetryPolicy.max_attempts`;
- create calls of every family: see `KieClient.submit` (they cost money, so only provably-unsent
  requests);
- streaming uploads: only connect failures, because a consumed stream cannot be replayed.
"""

from __future__ import annotations

import asyncio
import mimetypes
from collections.abc import AsyncIterable, Awaitable, Callable, Mapping
from enum import Enum
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import aiohttp
import structlog

from shared.kie.errors import (
    KieApiError,
    KieClientClosedError,
    KieConnectError,
    KieError,
    KieProtocolError,
    KieRateLimitedError,
    KieRecordNotFoundError,
    KieServiceUnavailableError,
    KieSubmitOutcomeUnknownError,
    KieTransportError,
    KieUnknownCodeError,
)
from shared.kie.families import family_for
from shared.kie.policy import KieTimeouts, RetryPolicy
from shared.kie.ratelimit import RateLimiter
from shared.kie.records import TaskRecord, UploadedFile, parse_uploaded_file
from shared.kie.transport import KieTransport

if TYPE_CHECKING:
    from shared.settings import Settings

__all__ = ["KieClient"]

_log = structlog.get_logger(__name__)

# Telegram file download URLs embed the bot token: they must never leave the process.
_TELEGRAM_FILE_URL = "/file/bot"


class _Replay(Enum):
    """How freely a failed call may be repeated."""

    IDEMPOTENT = "idempotent"
    CREATE_TASK = "create_task"
    ONE_SHOT = "one_shot"


class KieClient:
    """Async client of the KIE Market API and upload host; use as `async with KieClient(...)`.

    `session` may be shared with other adapters; the client then leaves closing it to its owner.
    Without one, `start()` opens a private session and `close()` closes it. `rate_limiter` is awaited
    before every createTask attempt (None: no shared budget, for tools and tests).
    """

    def __init__(
        self,
        *,
        api_base_url: str,
        upload_base_url: str,
        api_key: str,
        session: aiohttp.ClientSession | None = None,
        rate_limiter: RateLimiter | None = None,
        timeouts: KieTimeouts | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        self._transport = KieTransport(api_key, timeouts)
        self._api_base = api_base_url.rstrip("/")
        self._upload_base = upload_base_url.rstrip("/")
        self._external_session = session
        self._session: aiohttp.ClientSession | None = session
        self._rate_limiter = rate_limiter
        self._retry = retry_policy or RetryPolicy()
        self._closed = False

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        session: aiohttp.ClientSession | None = None,
        rate_limiter: RateLimiter | None = None,
    ) -> KieClient:
        """The client every program uses: base URLs and key from `settings` (ConfigError without a key)."""
        return cls(
            api_base_url=settings.KIE_API_BASE_URL,
            upload_base_url=settings.KIE_UPLOAD_BASE_URL,
            api_key=settings.require_kie_key(),
            session=session,
            rate_limiter=rate_limiter,
        )

    def __repr__(self) -> str:
        return f"KieClient(api_base_url={self._api_base!r}, upload_base_url={self._upload_base!r})"

    async def start(self) -> None:
        """Open the private session if none was injected; calling it twice is harmless."""
        if self._closed:
            raise KieClientClosedError("KieClient was closed and cannot be restarted")
        if self._session is None:
            self._session = aiohttp.ClientSession()

    async def close(self) -> None:
        """Close the private session (an injected one stays open); idempotent."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None and session is not self._external_session:
            await session.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def create_task(self, model: str, input: Mapping[str, Any], callback_url: str | None = None) -> str:
        """Submit a Market task and return its taskId (`POST /api/v1/jobs/createTask`); see `submit`."""
        return await self.submit("market", model, input, callback_url)

    async def record_info(self, task_id: str) -> TaskRecord:
        """Fetch a Market task's details (`GET /api/v1/jobs/recordInfo`); see `record`."""
        return await self.record("market", task_id)

    async def submit(
        self, route: str, model: str, params: Mapping[str, Any], callback_url: str | None = None
    ) -> str:
        """Create a task through the family of `route` (`shared.kie.families`) and return its taskId.

        A create call costs credits, so it is repeated only when KIE cannot have created the task:

        - body/HTTP code 429: KIE documents that rate-limited requests are rejected and not queued;
        - code 455: KIE is in maintenance and rejects the request before processing it;
        - `KieConnectError`: the connection was never established (refused, DNS, connect timeout),
          so no byte of the request left this process.

        Everything else is not repeated. Where KIE may have created the task anyway the error is
        raised as `KieSubmitOutcomeUnknownError` (its `cause` is the original error): a read timeout,
        or a total timeout (even one that fired while connecting, since the two cannot be told
        apart), a connection dropped after connecting, a proxy 502/503/504, body code 500 (an
        unexpected error may strike after the task was stored), an unknown code, or an answer that
        is not a valid envelope. The caller must then not submit again, but wait for the callback
        carrying its job id, or poll, until the job's deadline. The same holds if the caller cancels
        this coroutine mid-request. Definite rejections (401, 402, 422, ...) are raised as they are.

        Every attempt, retries included, first takes a slot of the shared createTask budget (KIE
        counts rejected requests too); Redis errors from the limiter propagate unchanged, before
        anything is sent.
        """
        family = family_for(route)
        body = family.build(model, params, callback_url)
        task_id = await self._create(f"{self._api_base}{family.create_path}", body)
        _log.info("kie_task_created", route=family.route, model=model, task_id=task_id)
        return task_id

    async def follow_up(
        self, route: str, action: str, fields: Mapping[str, Any], callback_url: str | None = None
    ) -> str:
        """Start a family's follow-up task on a finished one and return the new taskId.

        `action` names one of the family's `follow_ups` (Veo "4k"/"extend", Midjourney "upscale"/"vary",
        Suno "extend", Runway "extend"); `fields` is the documented body (e.g. {"taskId", "imageIndex"}).
        It costs credits like a create call and is repeated under the same rules as `submit`; the new
        task is read with `record(route, ...)`.
        """
        family = family_for(route)
        path = family.follow_ups.get(action)
        if path is None:
            raise ValueError(f"{route} has no follow-up {action!r}; known: {sorted(family.follow_ups)}")
        body = {**fields, **({"callBackUrl": callback_url} if callback_url else {})}
        task_id = await self._create(f"{self._api_base}{path}", body)
        _log.info("kie_follow_up_created", route=family.route, action=action, task_id=task_id)
        return task_id

    async def veo_1080p(self, task_id: str, index: int = 0) -> str | None:
        """The 1080p URL of a finished Veo video (`GET /api/v1/veo/get-1080p-video`), None while not ready.

        KIE makes it in 1-3 minutes and answers non-200 until then; the caller asks again later.
        """
        url = f"{self._api_base}/api/v1/veo/get-1080p-video"
        params = {"taskId": task_id, "index": str(index)}
        try:
            data = await self._call(
                "veo1080p", lambda: self._send("GET", url, params=params), _Replay.IDEMPOTENT
            )
        except KieApiError as exc:
            _log.info("kie_veo_1080p_not_ready", task_id=task_id, code=exc.code)
            return None
        result = data.get("resultUrl") if isinstance(data, Mapping) else None
        return result if isinstance(result, str) and result else None

    async def _create(self, url: str, body: Mapping[str, Any]) -> str:
        """POST a request that creates a task (and costs credits); the rules of `submit` apply."""

        async def attempt() -> Any:
            if self._rate_limiter is not None:
                await self._rate_limiter.acquire()
            return await self._send("POST", url, json_body=body)

        try:
            data = await self._call("create", attempt, _Replay.CREATE_TASK)
        except KieError as exc:
            if _submit_is_ambiguous(exc):
                raise KieSubmitOutcomeUnknownError(exc) from exc
            raise
        task_id = data.get("taskId") if isinstance(data, Mapping) else None
        if not isinstance(task_id, str) or not task_id:
            raise KieSubmitOutcomeUnknownError(KieProtocolError("create answer has no data.taskId"))
        return task_id

    async def record(self, route: str, task_id: str) -> TaskRecord:
        """Fetch a task's record through the family of `route`, mapped onto one `TaskRecord`.

        An unknown or not-yet-visible task raises `KieRecordNotFoundError` (code 422 "recordInfo is
        null", or a null `data`); callers polling right after creation may try again a few times.
        """
        family = family_for(route)
        url = f"{self._api_base}{family.record_path}"

        async def attempt() -> Any:
            return await self._send("GET", url, params={"taskId": task_id}, task_id=task_id)

        data = await self._call("record", attempt, _Replay.IDEMPOTENT)
        if data is None:
            raise KieRecordNotFoundError("recordInfo is null", code=422, task_id=task_id)
        try:
            return family.parse(data)
        except KieProtocolError as exc:
            raise KieProtocolError(exc.message, task_id=task_id) from exc

    async def credit_balance(self) -> int | float:
        """Return the account's remaining credits (`GET /api/v1/chat/credit`)."""
        url = f"{self._api_base}/api/v1/chat/credit"
        data = await self._call("credit", lambda: self._send("GET", url), _Replay.IDEMPOTENT)
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise KieProtocolError(f"credit balance is {type(data).__name__}, not a number")
        return data

    async def download_url(self, url: str) -> str:
        """Turn a KIE-hosted result URL into a 20-minute direct link (`POST /api/v1/common/download-url`)."""
        endpoint = f"{self._api_base}/api/v1/common/download-url"

        async def attempt() -> Any:
            return await self._send("POST", endpoint, json_body={"url": url})

        data = await self._call("downloadUrl", attempt, _Replay.IDEMPOTENT)
        if not isinstance(data, str) or not data:
            raise KieProtocolError("download-url answer data is not a URL")
        return data

    async def upload_file_stream(
        self, data: bytes | AsyncIterable[bytes], file_name: str, upload_path: str
    ) -> UploadedFile:
        """Upload a file to the upload host as multipart (`POST /api/file-stream-upload`).

        `bytes` are retried like any idempotent call (the same fileName in the same path overwrites).
        An async iterable is streamed and can be read only once, so it is retried only when the
        connection failed before anything was read. Uploaded files live about a day: submit soon.
        """
        _check_upload_path(upload_path)
        url = f"{self._upload_base}/api/file-stream-upload"
        content_type = mimetypes.guess_type(file_name)[0] or "application/octet-stream"

        async def attempt() -> Any:
            form = aiohttp.FormData()
            form.add_field("file", data, filename=file_name, content_type=content_type)
            form.add_field("uploadPath", upload_path)
            form.add_field("fileName", file_name)
            return await self._send("POST", url, form=form, upload=True)

        replay = _Replay.IDEMPOTENT if isinstance(data, bytes) else _Replay.ONE_SHOT
        return parse_uploaded_file(await self._call("uploadStream", attempt, replay))

    async def upload_from_url(
        self, file_url: str, upload_path: str, file_name: str | None = None
    ) -> UploadedFile:
        """Have the upload host fetch a public URL (`POST /api/file-url-upload`, 30 s fetch limit).

        A Telegram file URL is refused with ValueError: it contains the bot token (kie-api.md §6).
        """
        _check_upload_path(upload_path)
        if _TELEGRAM_FILE_URL in file_url:
            raise ValueError("refusing to hand a Telegram file URL (it embeds the bot token) to KIE")
        url = f"{self._upload_base}/api/file-url-upload"
        body = {"fileUrl": file_url, "uploadPath": upload_path}
        if file_name:
            body["fileName"] = file_name

        async def attempt() -> Any:
            return await self._send("POST", url, json_body=body, upload=True)

        return parse_uploaded_file(await self._call("uploadUrl", attempt, _Replay.IDEMPOTENT))

    async def _call(self, op: str, attempt: Callable[[], Awaitable[Any]], replay: _Replay) -> Any:
        """Run `attempt` with the retry policy: the single retry site of this client."""
        last = self._retry.max_attempts - 1
        for number in range(self._retry.max_attempts):
            try:
                return await attempt()
            except KieError as exc:
                if number == last or not _may_retry(exc, replay):
                    raise
                delay = self._retry.delay(number)
                _log.warning(
                    "kie_retry",
                    op=op,
                    attempt=number + 1,
                    delay_seconds=round(delay, 3),
                    error=type(exc).__name__,
                    code=exc.code,
                    detail=exc.message,
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _send(
        self,
        method: str,
        url: str,
        *,
        json_body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        form: aiohttp.FormData | None = None,
        upload: bool = False,
        task_id: str | None = None,
    ) -> Any:
        """One HTTP exchange through the shared transport; returns the envelope's `data`."""
        return await self._transport.send(
            self._require_session(),
            method,
            url,
            json_body=json_body,
            params=params,
            form=form,
            upload=upload,
            task_id=task_id,
        )

    def _require_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            state = "closed" if self._closed else "not started"
            raise KieClientClosedError(f"KieClient is {state}; use `async with KieClient(...)`")
        return self._session


def _may_retry(exc: KieError, replay: _Replay) -> bool:
    """Whether the failed attempt may be repeated under the call's replay rule."""
    if replay is _Replay.ONE_SHOT:
        return isinstance(exc, KieConnectError)
    if replay is _Replay.CREATE_TASK:
        return isinstance(exc, KieConnectError | KieRateLimitedError | KieServiceUnavailableError)
    return exc.retryable


def _submit_is_ambiguous(exc: KieError) -> bool:
    """Whether a failed createTask may nonetheless have created (and charged for) a task."""
    if isinstance(exc, KieConnectError):
        return False
    if isinstance(exc, KieTransportError | KieProtocolError | KieUnknownCodeError):
        return True
    return isinstance(exc, KieApiError) and exc.code == 500


def _check_upload_path(upload_path: str) -> None:
    if not upload_path or upload_path.startswith("/") or upload_path.endswith("/"):
        raise ValueError("upload_path must be non-empty, without leading or trailing '/'")
