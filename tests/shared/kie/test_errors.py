"""The KIE error tree: code mapping, retryable flags and error data."""

from __future__ import annotations

import pytest

from shared.kie import errors
from shared.kie.errors import (
    KieApiError,
    KieConnectError,
    KieError,
    KieServerError,
    KieSubmitOutcomeUnknownError,
    KieTimeoutError,
    api_error_for,
)

EXPECTED = {
    400: errors.KieBadRequestError,
    401: errors.KieAuthError,
    402: errors.KieInsufficientCreditsError,
    404: errors.KieNotFoundError,
    408: errors.KieUpstreamTimeoutError,
    409: errors.KieConflictError,
    413: errors.KieConflictError,
    422: errors.KieValidationError,
    429: errors.KieRateLimitedError,
    433: errors.KieSubKeyLimitError,
    451: errors.KieMediaFetchError,
    455: errors.KieServiceUnavailableError,
    500: errors.KieServerError,
    501: errors.KieGenerationFailedError,
    505: errors.KieFeatureDisabledError,
    405: errors.KieUnknownCodeError,
    531: errors.KieUnknownCodeError,
}


class TestCodeMapping:
    """Each documented code maps to exactly one class."""

    @pytest.mark.parametrize(("code", "cls"), sorted(EXPECTED.items()))
    def test_code_maps_to_its_class(self, code: int, cls: type[KieApiError]) -> None:
        """api_error_for picks the documented family and keeps code and message."""
        error = api_error_for(code, "why", task_id="t", http_status=200)
        assert type(error) is cls
        assert (error.code, error.message, error.task_id, error.http_status) == (code, "why", "t", 200)

    def test_record_info_null_is_narrower_validation_error(self) -> None:
        """422 "recordInfo is null" maps to KieRecordNotFoundError, still a KieValidationError."""
        error = api_error_for(422, "recordInfo is null")
        assert isinstance(error, errors.KieRecordNotFoundError)
        assert isinstance(error, errors.KieValidationError)

    def test_only_429_455_500_and_transport_are_retryable(self) -> None:
        """Retryable API codes are exactly 429, 455 and 500; every transport error is retryable."""
        retryable = {code for code in EXPECTED if api_error_for(code, "").retryable}
        assert retryable == {429, 455, 500}
        assert KieConnectError("x").retryable and KieTimeoutError("x").retryable
        assert not errors.KieProtocolError("x").retryable


class TestErrorData:
    """Errors carry their data and print it."""

    def test_str_names_code_and_task(self) -> None:
        """str() shows message, code, task id and HTTP status."""
        text = str(api_error_for(501, "Generation failed", task_id="abc", http_status=200))
        assert text == "Generation failed code=501 task_id=abc http_status=200"

    def test_submit_outcome_unknown_keeps_its_cause(self) -> None:
        """KieSubmitOutcomeUnknownError wraps the original error and is not retryable."""
        cause = KieServerError("oops", code=500)
        error = KieSubmitOutcomeUnknownError(cause)
        assert error.cause is cause
        assert error.code == 500
        assert not error.retryable
        assert isinstance(error, KieError)

    def test_every_public_class_is_exported(self) -> None:
        """Every class in errors.__all__ derives from KieError (or is the RejectReason enum)."""
        names = [n for n in errors.__all__ if n not in ("RejectReason", "api_error_for")]
        assert all(issubclass(getattr(errors, n), KieError) for n in names)


class TestErrorRoots:
    """Every error class of the KIE client and the catalogue roots at TrtError."""

    def test_every_kie_and_catalog_error_is_a_trt_error(self) -> None:
        """Walk both modules: no exception class may sit outside the project's tree."""
        from shared.catalog import cache as catalog_cache
        from shared.catalog import errors as catalog_errors
        from shared.errors import TrtError

        classes = [
            value
            for module in (errors, catalog_errors, catalog_cache)
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, BaseException)
            and value.__module__ == module.__name__
        ]
        assert len(classes) > 25
        outside = [cls.__name__ for cls in classes if not issubclass(cls, TrtError)]
        assert outside == []
