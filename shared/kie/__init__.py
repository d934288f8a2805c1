"""KIE.ai integration: the HTTP client and its API families, typed errors and records, the shared
create budget, and callback verification. Import from here; the submodules are the implementation.

The client, its retry policy and the create budget load on first use (they bring aiohttp and every API
family): the webhook verifies callbacks here and never calls KIE.
"""

from typing import TYPE_CHECKING

from shared.kie.callback import (
    CallbackEvent,
    callback_token,
    callback_token_expiry,
    parse_callback,
    verify_webhook_signature,
    webhook_signature,
)
from shared.kie.errors import (
    KieApiError,
    KieAuthError,
    KieBadRequestError,
    KieCallbackError,
    KieClientClosedError,
    KieConflictError,
    KieConnectError,
    KieError,
    KieFeatureDisabledError,
    KieGatewayError,
    KieGenerationFailedError,
    KieInsufficientCreditsError,
    KieMediaFetchError,
    KieNotFoundError,
    KieProtocolError,
    KieRateLimitedError,
    KieRecordNotFoundError,
    KieServerError,
    KieServiceUnavailableError,
    KieSubKeyLimitError,
    KieSubmitOutcomeUnknownError,
    KieTimeoutError,
    KieTransportError,
    KieUnknownCodeError,
    KieUpstreamTimeoutError,
    KieValidationError,
    RejectReason,
)
from shared.kie.records import ResultItem, TaskRecord, TaskState, UploadedFile
from shared.lazy import lazy_exports

if TYPE_CHECKING:
    from shared.kie.client import KieClient
    from shared.kie.policy import KieTimeouts, RetryPolicy
    from shared.kie.ratelimit import RateLimiter, RedisWindowLimiter

__all__ = [
    "CallbackEvent",
    "KieApiError",
    "KieAuthError",
    "KieBadRequestError",
    "KieCallbackError",
    "KieClient",
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
    "KieTimeouts",
    "KieTransportError",
    "KieUnknownCodeError",
    "KieUpstreamTimeoutError",
    "KieValidationError",
    "RateLimiter",
    "RedisWindowLimiter",
    "RejectReason",
    "ResultItem",
    "RetryPolicy",
    "TaskRecord",
    "TaskState",
    "UploadedFile",
    "callback_token",
    "callback_token_expiry",
    "parse_callback",
    "verify_webhook_signature",
    "webhook_signature",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "client": ("KieClient",),
        "policy": ("KieTimeouts", "RetryPolicy"),
        "ratelimit": ("RateLimiter", "RedisWindowLimiter"),
    },
)
