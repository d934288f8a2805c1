"""What every KIE API family is made of, and the pieces the non-Market families share (kie-api.md §4).

A `Family` is one of KIE's generation APIs: where a task is created and how its body is built from a
registry model and the user's parameters, where its record is read and how that record maps onto
the one `TaskRecord` shape (state, result URLs, failure code), and which callback body it sends.
The jobs program sees only `TaskRecord`s, so it treats every family the same way.

The dedicated (non-Market) APIs report progress as an integer `successFlag` instead of a state word
and name their errors `errorCode` / `errorMessage`; `flag_record` builds a record from those.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.kie.errors import KieProtocolError
from shared.kie.fields import as_datetime, as_int, as_text, json_object, mapping
from shared.kie.records import ResultItem, TaskRecord, TaskState

__all__ = [
    "BodyBuilder",
    "Family",
    "FlagRecord",
    "RecordParser",
    "flag_record",
    "plain_body",
    "require_task_id",
    "sub",
    "urls_as_items",
]

BodyBuilder = Callable[[str, Mapping[str, Any], str | None], dict[str, Any]]
"""(registry model id, user parameters, callback URL) → the create request's JSON body."""

RecordParser = Callable[[object], TaskRecord]
"""The record call's `data` → a `TaskRecord` (KieProtocolError on a malformed shape)."""


@dataclass(frozen=True, slots=True)
class Family:
    """One KIE generation API: its create and record endpoints, body builder, parser and callback."""

    route: str
    create_path: str
    record_path: str
    build: BodyBuilder
    parse: RecordParser
    callback: str
    doc: str
    follow_ups: Mapping[str, str] = field(default_factory=dict)


def plain_body(model_field: str | None, fixed: Mapping[str, Mapping[str, Any]] | None = None) -> BodyBuilder:
    """A builder for APIs whose body is the parameters themselves plus `callBackUrl`.

    `model_field` names the body field that carries the registry model id (None: the API has no
    model field); `fixed` adds per-model constant fields (e.g. Midjourney's `taskType`).
    """

    def build(model: str, params: Mapping[str, Any], callback_url: str | None) -> dict[str, Any]:
        body: dict[str, Any] = dict(params)
        body.update((fixed or {}).get(model, {}))
        if model_field is not None:
            body[model_field] = model
        if callback_url:
            body["callBackUrl"] = callback_url
        return body

    return build


def require_task_id(data: object) -> tuple[Mapping[str, Any], str]:
    """The record as an object and its task id (`taskId` or `task_id`); KieProtocolError otherwise."""
    if not isinstance(data, Mapping):
        raise KieProtocolError(f"task record is {type(data).__name__}, not an object")
    task_id = as_text(data.get("taskId")) or as_text(data.get("task_id"))
    if not task_id:
        raise KieProtocolError("task record has no taskId")
    return data, task_id


@dataclass(frozen=True, slots=True)
class FlagRecord:
    """The parts of a `successFlag` record that differ per family."""

    flag_states: Mapping[int, TaskState]
    items: tuple[ResultItem, ...] = ()
    model: str = ""
    param_field: str = "paramJson"


def flag_record(data: Mapping[str, Any], task_id: str, spec: FlagRecord) -> TaskRecord:
    """A `TaskRecord` from a `successFlag` record; an unknown flag counts as still running."""
    flag = as_int(data.get("successFlag"))
    state = spec.flag_states.get(flag, TaskState.GENERATING) if flag is not None else TaskState.GENERATING
    items = spec.items if state is TaskState.SUCCESS else ()
    error_code = as_text(data.get("errorCode"))
    return TaskRecord(
        task_id=task_id,
        model=spec.model,
        state=state,
        state_raw="" if flag is None else str(flag),
        param=json_object(data.get(spec.param_field), spec.param_field, task_id),
        result_urls=tuple(item.url for item in items),
        fail_code=None if error_code in (None, "", "0") else error_code,
        fail_msg=as_text(data.get("errorMessage")) or None,
        progress=_percent(data.get("progress")),
        create_time=as_datetime(data.get("createTime")),
        complete_time=as_datetime(data.get("completeTime")),
        items=items,
    )


def urls_as_items(urls: tuple[str, ...]) -> tuple[ResultItem, ...]:
    """Plain result URLs as items without details."""
    return tuple(ResultItem(url) for url in urls)


def sub(data: Mapping[str, Any], name: str, task_id: str) -> Mapping[str, Any]:
    """A sub-object that KIE sends either as an object or as a JSON string."""
    raw = data.get(name)
    return json_object(raw, name, task_id) if isinstance(raw, str) else mapping(raw)


def _percent(value: object) -> int | None:
    """4o Image reports progress as "0.48"; others as 0-100. Both read as a percentage."""
    text = as_text(value)
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number * 100) if "." in text and number <= 1 else int(number)
