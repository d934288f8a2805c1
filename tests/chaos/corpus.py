"""Hostile requests for every endpoint: a fixed corpus and hypothesis strategies.

Each ``Case`` says what a clear refusal looks like (``expect``: the 4xx statuses allowed, and whether
the server may instead close the connection, which is fair for bodies it will not read). Cases that
need the secret token or a valid callback token get them from ``Targets`` so that they reach the
parser rather than stopping at the first check.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field

from hypothesis import strategies as st

from shared.kie import callback_token

__all__ = ["Case", "Targets", "callback_cases", "fixed_corpus", "json_values", "update_cases"]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TEN_MB = 10 * 1024 * 1024


@dataclass(frozen=True)
class Case:
    """One raw HTTP request and the answers that count as a clear refusal."""

    name: str
    method: str
    path: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    expect: frozenset[int] = frozenset({400})
    may_close: bool = False
    declared_length: int | None = None  # a Content-Length that differs from the body sent (truncation)


@dataclass(frozen=True)
class Targets:
    """What a hostile request may know: the webhook secret, the callback key, and real job/task ids."""

    secret: str
    callback_key: bytes
    jobs: list[tuple[uuid.UUID, str]]

    def hook(self, name: str, body: bytes, **extra: object) -> Case:
        """A POST to the Telegram webhook carrying the right secret: only the body is wrong."""
        headers = {SECRET_HEADER: self.secret, "Content-Type": "application/json"}
        return Case(name, "POST", "/telegram/webhook", body, headers, **extra)  # type: ignore[arg-type]

    def callback_path(self, job_id: uuid.UUID | str, valid_token: bool = True) -> str:
        expires_at = int(time.time()) + 3600
        token = callback_token(str(job_id), self.callback_key, expires_at) if valid_token else "0" * 64
        return f"/kie/callback/{job_id}?t={token}"


def _update_bodies() -> list[tuple[str, bytes]]:
    """Envelopes the webhook must refuse with 400 (never JSON objects with a usable update_id)."""
    deep = b"[" * 200_000 + b"]" * 200_000
    return [
        ("empty body", b""),
        ("truncated JSON", b'{"update_id": 12, "message": {"text": "hi"'),
        ("just a brace", b"{"),
        ("null", b"null"),
        ("array", b"[1, 2, 3]"),
        ("string", b'"update"'),
        ("number", b"42"),
        ("update_id as string", b'{"update_id": "12"}'),
        ("update_id as bool", b'{"update_id": true}'),
        ("update_id negative", b'{"update_id": -1}'),
        ("update_id float", b'{"update_id": 1.5}'),
        ("update_id 1e400", b'{"update_id": 1e400}'),
        ("update_id NaN", b'{"update_id": NaN}'),
        ("update_id 2**63", b'{"update_id": 9223372036854775808}'),
        ("update_id 5000 digits", b'{"update_id": ' + b"9" * 5000 + b"}"),
        ("update_id missing", b'{"message": {"text": "no id"}}'),
        ("invalid UTF-8", b'{"update_id": 5, "x": "\xff\xfe"}'),
        ("lone surrogate id", b'{"update_id": "\\ud800"}'),
        ("nested 200k deep", deep),
        ("NUL bytes", b"\x00" * 64),
    ]


def fixed_corpus(targets: Targets) -> list[Case]:
    """The fixed corpus over every endpoint."""
    cases = [targets.hook(name, body) for name, body in _update_bodies()]
    good_update = json.dumps({"update_id": 4_000_000_001, "message": {"text": "forged"}}).encode()
    cases += [
        targets.hook("10 MB body", b"{" + b" " * TEN_MB + b"}", expect=frozenset({413}), may_close=True),
        targets.hook("truncated body", b'{"update_id": 7', declared_length=4096, may_close=True),
        Case("no secret", "POST", "/telegram/webhook", good_update, expect=frozenset({401})),
        Case(
            "wrong secret",
            "POST",
            "/telegram/webhook",
            good_update,
            {SECRET_HEADER: targets.secret + "x"},
            frozenset({401}),
        ),
        Case("10 MB without secret", "POST", "/telegram/webhook", b"0" * TEN_MB, {}, frozenset({401}), True),
        Case("GET on webhook", "GET", "/telegram/webhook", expect=frozenset({405})),
        Case("unknown path", "POST", "/admin/../../etc/passwd", b"{}", expect=frozenset({404})),
        Case("health with junk", "GET", "/health?x=%00%ff&" + "a" * 4000, expect=frozenset({200})),
        Case("ready with junk", "GET", "/ready?%%%", expect=frozenset({200})),
        Case("metrics POST", "POST", "/metrics", b"x", expect=frozenset({405})),
    ]
    return cases + _callback_corpus(targets)


def _callback_corpus(targets: Targets) -> list[Case]:
    job_id, task_id = targets.jobs[0]
    other = json.dumps(
        {"code": 200, "msg": "ok", "data": {"taskId": "forged-" + task_id, "state": "success"}}
    )
    valid = targets.callback_path(job_id)
    return [
        Case("callback bad job id", "POST", "/kie/callback/not-a-uuid?t=x", b"{}", expect=frozenset({404})),
        Case("callback no token", "POST", f"/kie/callback/{job_id}", b"{}", expect=frozenset({401})),
        Case("callback bad token", "POST", targets.callback_path(job_id, False), b"{}", {}, frozenset({401})),
        Case("callback truncated", "POST", valid, b'{"code": 200, "data": {', expect=frozenset({400})),
        Case("callback not JSON", "POST", valid, b"\xff\x00garbage", expect=frozenset({400})),
        Case("callback nested deep", "POST", valid, b"[" * 200_000 + b"]" * 200_000),
        Case("callback huge code", "POST", valid, b'{"code": ' + b"9" * 5000 + b', "data": {}}'),
        Case("callback other task", "POST", valid, other.encode(), expect=frozenset({409})),
        Case(
            "callback unknown job",
            "POST",
            targets.callback_path(uuid.uuid4()),
            other.encode(),
            expect=frozenset({404}),
        ),
        Case("callback 10 MB", "POST", valid, b" " * TEN_MB, expect=frozenset({413}), may_close=True),
    ]


def json_values() -> st.SearchStrategy[object]:
    """Any JSON value, including unicode edge cases and integers far beyond 64 bits."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**200), max_value=2**200)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=30)
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=12,
    )


def _usable_update(value: object) -> bool:
    """The webhook's own acceptance rule: an object whose update_id is an int in [0, 2**63)."""
    if not isinstance(value, dict):
        return False
    update_id = value.get("update_id")
    return isinstance(update_id, int) and not isinstance(update_id, bool) and 0 <= update_id < 2**63


def update_cases(targets: Targets) -> st.SearchStrategy[Case]:
    """Bodies the webhook must refuse though the secret is right, and any body with a wrong secret."""
    wrong_envelope = (json_values() | st.fixed_dictionaries({"update_id": json_values()})).filter(
        lambda v: not _usable_update(v)
    )
    with_secret = wrong_envelope.map(lambda v: targets.hook("hypothesis envelope", json.dumps(v).encode()))
    raw = st.binary(max_size=512).map(lambda b: targets.hook("hypothesis bytes", b))
    secrets = st.one_of(st.none(), st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=64))
    bad_secret = st.tuples(secrets.filter(lambda s: s != targets.secret), json_values()).map(
        lambda pair: Case(
            "hypothesis wrong secret",
            "POST",
            "/telegram/webhook",
            json.dumps(pair[1]).encode(),
            {} if pair[0] is None else {SECRET_HEADER: pair[0]},
            frozenset({401}),
        )
    )
    return (
        with_secret.filter(lambda c: not _usable_bytes(c.body))
        | raw.filter(lambda c: not _usable_bytes(c.body))
        | bad_secret
    )


def _usable_bytes(body: bytes) -> bool:
    try:
        return _usable_update(json.loads(body))
    except (ValueError, RecursionError):
        return False


def callback_cases(targets: Targets) -> st.SearchStrategy[Case]:
    """Callbacks with a made-up job id or token, or a valid token and a body that is not this job's."""
    job_ids = st.uuids().map(str) | st.text(max_size=40).filter(lambda s: "/" not in s and "?" not in s)
    forged = st.tuples(job_ids, st.text(max_size=70), json_values()).map(
        lambda t: Case(
            "hypothesis forged callback",
            "POST",
            f"/kie/callback/{_quote(t[0])}?t={_quote(t[1])}",
            json.dumps(t[2]).encode(),
            expect=frozenset({400, 401, 404}),
        )
    )
    real = st.sampled_from(targets.jobs)
    foreign = st.tuples(real, json_values()).map(
        lambda t: Case(
            "hypothesis body for a real job",
            "POST",
            targets.callback_path(t[0][0]),
            json.dumps(_not_this_task(t[1], t[0][1])).encode(),
            expect=frozenset({400, 409}),
        )
    )
    return forged | foreign


def _not_this_task(value: object, task_id: str) -> object:
    """Make sure a generated envelope cannot name the job's real task (that would be a real callback)."""
    if isinstance(value, dict) and isinstance(value.get("data"), dict):
        value["data"]["taskId"] = "forged-" + task_id
    return value


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")
