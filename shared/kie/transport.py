"""`KieTransport`: one HTTP exchange with KIE, shared by every KIE client (kie-api.md §1).

It sends one request with the bearer key, translates foreign failures (aiohttp, timeouts, bad JSON)
into the typed tree of `shared.kie.errors`, checks both the HTTP status and the body `code` (KIE
often reports errors inside an HTTP 200) and returns the envelope's `data`. Server text and
exception text are redacted before they become an error message, so the API key can only ever
travel in the Authorization header. Retries are not its business: the callers decide what may be
repeated.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import aiohttp

from shared.kie.errors import (
    KieConnectError,
    KieError,
    KieGatewayError,
    KieProtocolError,
    KieTimeoutError,
    KieTransportError,
    KieUnknownCodeError,
    api_error_for,
)
from shared.kie.policy import KieTimeouts

__all__ = ["REDACTED", "KieTransport"]

REDACTED = "[redacted]"
_GATEWAY_STATUSES = frozenset({502, 503, 504})


class KieTransport:
    """Sends requests with one API key and unwraps KIE's envelope; holds no session of its own."""

    def __init__(self, api_key: str, timeouts: KieTimeouts | None = None) -> None:
        if not api_key:
            raise ValueError("KIE api_key must not be empty")
        self._api_key = api_key
        self._timeouts = timeouts or KieTimeouts()

    async def send(
        self,
        session: aiohttp.ClientSession,
        method: str,
        url: str,
        *,
        json_body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        form: aiohttp.FormData | None = None,
        upload: bool = False,
        task_id: str | None = None,
    ) -> Any:
        """One exchange: send, translate transport failures, return the envelope's `data`."""
        timeout = self._timeouts.for_upload() if upload else self._timeouts.for_api()
        headers = {"Authorization": f"Bearer {self._api_key}"}
        if form is None:
            headers["Content-Type"] = "application/json"
        payload: Any = form if form is not None else (None if json_body is None else json.dumps(json_body))
        try:
            async with session.request(
                method, url, headers=headers, params=params, data=payload, timeout=timeout
            ) as resp:
                status, raw = resp.status, await resp.read()
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise KieConnectError(self.describe("connection failed", exc), task_id=task_id) from exc
        except TimeoutError as exc:
            raise KieTimeoutError(self.describe("timed out", exc), task_id=task_id) from exc
        except aiohttp.ClientError as exc:
            raise KieTransportError(self.describe("transport error", exc), task_id=task_id) from exc
        return self.unwrap(status, raw, task_id)

    def unwrap(self, status: int, raw: bytes, task_id: str | None = None) -> Any:
        """Check HTTP status and body `code`; return `data` or raise the typed error."""
        try:
            body = json.loads(raw) if raw else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        if not isinstance(body, Mapping) or not _is_code(body.get("code")):
            raise _non_envelope_error(status, task_id)
        code = int(body["code"])
        message = self.redact(str(body.get("msg") or body.get("message") or ""))
        if code != 200:
            raise api_error_for(code, message, task_id=task_id, http_status=status)
        if not 200 <= status < 300:
            raise api_error_for(status, message, task_id=task_id, http_status=status)
        if body.get("success") is False:
            raise KieUnknownCodeError(message or "request reported success=false", code=code, task_id=task_id)
        return body.get("data")

    def describe(self, what: str, exc: BaseException) -> str:
        """A redacted one-line description of a foreign exception."""
        return self.redact(f"{what}: {type(exc).__name__}: {exc}".rstrip(": "))

    def redact(self, text: str) -> str:
        """`text` with every occurrence of the API key replaced."""
        return text.replace(self._api_key, REDACTED)


def _non_envelope_error(status: int, task_id: str | None) -> KieError:
    """An answer without a KIE envelope: map its HTTP status, or call it a protocol error."""
    if status in _GATEWAY_STATUSES:
        return KieGatewayError(f"gateway answered HTTP {status}", task_id=task_id, http_status=status)
    if 200 <= status < 300:
        return KieProtocolError("answer is not a KIE envelope", task_id=task_id, http_status=status)
    return api_error_for(status, f"HTTP {status} without a KIE envelope", task_id=task_id, http_status=status)


def _is_code(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
