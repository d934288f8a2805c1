"""Typed errors of the KIE.ai client, one class per documented code family (kie-api.md §1.3).

The whole hierarchy (rooted at `shared.errors.TrtError`)::

    KieError                              base; carries code, message, task_id, http_status
    ├── KieTransportError                 no usable answer from KIE (retryable)
    │   ├── KieConnectError               connection never established: the request was NOT sent
    │   ├── KieTimeoutError               timed out after the request may have been sent
    │   └── KieGatewayError               HTTP 502/503/504 from a proxy, no KIE envelope
    ├── KieProtocolError                  the answer is not a KIE envelope (bad JSON, bad shape)
    ├── KieApiError                       KIE answered with an error code (HTTP status or body `code`)
    │   ├── KieBadRequestError            400 bad request / content policy
    │   ├── KieAuthError                  401 credentials missing or invalid
    │   ├── KieInsufficientCreditsError   402 account lacks credits
    │   ├── KieNotFoundError              404 resource or task not found
    │   ├── KieUpstreamTimeoutError       408 upstream gave no result for 10 min (start a new task)
    │   ├── KieConflictError              409 / 413 conflict with an existing record
    │   ├── KieValidationError            422 parameters failed validation
    │   │   └── KieRecordNotFoundError    422 "recordInfo is null": unknown or not yet visible task
    │   ├── KieRateLimitedError           429 rate limited, request not queued (retryable)
    │   ├── KieSubKeyLimitError           433 sub-key usage cap exceeded
    │   ├── KieMediaFetchError            451 KIE could not fetch a provided media URL
    │   ├── KieServiceUnavailableError    455 maintenance (retryable)
    │   ├── KieServerError                500 unexpected server error (retryable)
    │   │   ├── KieGenerationFailedError  501 generation failed
    │   │   └── KieFeatureDisabledError   505 feature disabled
    │   └── KieUnknownCodeError           any code the catalogue does not list
    ├── KieSubmitOutcomeUnknownError      createTask failed ambiguously: a task MAY exist (see client)
    ├── KieCallbackError                  a callback failed verification or parsing (see RejectReason)
    └── KieClientClosedError              the client was used outside its open/close lifecycle

`retryable` says whether repeating the *same* request later may succeed; the client's retry loop
uses it for idempotent calls, and narrower rules for createTask and streaming uploads.
Messages never contain the API key: the client redacts server text before building an error.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from shared.errors import TrtError

__all__ = [
    "KieApiError",
    "KieAuthError",
    "KieBadRequestError",
    "KieCallbackError",
    "KieClientClosedError",
    "KieConflictError",
    "KieConnectError",
    "KieError",
    "KieFeatureDisabledError",
    "KieGatewayError",
    "KieGenerationFailedError",
    "KieInsufficientCreditsError",
    "KieMediaFetchError",
    "KieNotFoundError",
    "KieProtocolError",
    "KieRateLimitedError",
    "KieRecordNotFoundError",
    "KieServerError",
    "KieServiceUnavailableError",
    "KieSubKeyLimitError",
    "KieSubmitOutcomeUnknownError",
    "KieTimeoutError",
    "KieTransportError",
    "KieUnknownCodeError",
    "KieUpstreamTimeoutError",
    "KieValidationError",
    "RejectReason",
    "api_error_for",
]


class KieError(TrtError):
    """Root of every error the KIE client raises."""

    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        task_id: str | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.task_id = task_id
        self.http_status = http_status

    def __str__(self) -> str:
        parts = [self.message]
        if self.code is not None:
            parts.append(f"code={self.code}")
        if self.task_id is not None:
            parts.append(f"task_id={self.task_id}")
        if self.http_status is not None:
            parts.append(f"http_status={self.http_status}")
        return " ".join(parts)


class KieTransportError(KieError):
    """No usable answer: the connection broke, or the server vanished mid-request."""

    retryable = True


class KieConnectError(KieTransportError):
    """The connection was never established (refused, DNS, connect timeout): nothing was sent."""


class KieTimeoutError(KieTransportError):
    """A read or total timeout expired; the request may already have reached KIE."""


class KieGatewayError(KieTransportError):
    """A proxy in front of KIE answered 502/503/504 without a KIE envelope."""


class KieProtocolError(KieError):
    """The answer is not a KIE envelope: not JSON, no integer `code`, or a malformed field."""


class KieApiError(KieError):
    """KIE answered with an error code, in the HTTP status or in the body `code`."""


class KieBadRequestError(KieApiError):
    """400: bad request, e.g. a missing taskId or a content-policy rejection."""


class KieAuthError(KieApiError):
    """401: credentials missing or invalid."""


class KieInsufficientCreditsError(KieApiError):
    """402: the account has too few credits for the operation; top up, do not retry."""


class KieNotFoundError(KieApiError):
    """404: the endpoint or task does not exist."""


class KieUpstreamTimeoutError(KieApiError):
    """408: the upstream model returned nothing for 10 minutes; a new task may succeed."""


class KieConflictError(KieApiError):
    """409 or 413: the request conflicts with an existing record."""


class KieValidationError(KieApiError):
    """422: parameters failed validation (or a foreign URL was given to download-url)."""


class KieRecordNotFoundError(KieValidationError):
    """422 "recordInfo is null": the task is unknown, or not yet visible right after creation."""


class KieRateLimitedError(KieApiError):
    """429: request limit exceeded; KIE did not queue the request, so it is safe to repeat."""

    retryable = True


class KieSubKeyLimitError(KieApiError):
    """433: the sub-key's configured usage cap is exhausted."""


class KieMediaFetchError(KieApiError):
    """451: KIE could not download a media URL we passed in."""


class KieServiceUnavailableError(KieApiError):
    """455: KIE is under maintenance; try again later."""

    retryable = True


class KieServerError(KieApiError):
    """500: unexpected server error; the family root of the 5xx body codes."""

    retryable = True


class KieGenerationFailedError(KieServerError):
    """501: the generation failed; only a new task can succeed."""

    retryable = False


class KieFeatureDisabledError(KieServerError):
    """505: the requested feature is currently disabled."""

    retryable = False


class KieUnknownCodeError(KieApiError):
    """A code that the catalogue does not list (e.g. 405 from the upload host)."""


class KieSubmitOutcomeUnknownError(KieError):
    """createTask failed after the request may have reached KIE, so a task (and a charge) may exist.

    The caller must not submit again blindly: it should wait for the callback carrying its own job id,
    or give up on the job once its deadline passes. `cause` is the underlying error.
    """

    def __init__(self, cause: KieError) -> None:
        super().__init__(
            f"createTask outcome unknown ({type(cause).__name__}: {cause.message})",
            code=cause.code,
            http_status=cause.http_status,
        )
        self.cause = cause


class RejectReason(StrEnum):
    """Why a KIE callback was rejected."""

    BAD_TOKEN = "bad_token"
    MISSING_SIGNATURE = "missing_signature"
    BAD_SIGNATURE = "bad_signature"
    STALE_TIMESTAMP = "stale_timestamp"
    MALFORMED = "malformed"


class KieCallbackError(KieError):
    """A callback failed verification or could not be parsed; answer it with a 4xx."""

    def __init__(self, reason: RejectReason, message: str, *, task_id: str | None = None) -> None:
        super().__init__(message, task_id=task_id)
        self.reason = reason


class KieClientClosedError(KieError):
    """The client was used before `start()` (or `async with`) or after `close()`."""


_BY_CODE: dict[int, type[KieApiError]] = {
    400: KieBadRequestError,
    401: KieAuthError,
    402: KieInsufficientCreditsError,
    404: KieNotFoundError,
    408: KieUpstreamTimeoutError,
    409: KieConflictError,
    413: KieConflictError,
    422: KieValidationError,
    429: KieRateLimitedError,
    433: KieSubKeyLimitError,
    451: KieMediaFetchError,
    455: KieServiceUnavailableError,
    500: KieServerError,
    501: KieGenerationFailedError,
    505: KieFeatureDisabledError,
}

_RECORD_IS_NULL = "recordinfo is null"


def api_error_for(
    code: int, message: str, *, task_id: str | None = None, http_status: int | None = None
) -> KieApiError:
    """Build the most specific `KieApiError` for a KIE error `code` and its message."""
    cls = _BY_CODE.get(code, KieUnknownCodeError)
    if code == 422 and _RECORD_IS_NULL in message.lower():
        cls = KieRecordNotFoundError
    return cls(message, code=code, task_id=task_id, http_status=http_status)
