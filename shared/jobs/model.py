"""Typed records of generation jobs: states, plain failure reasons, a job row, and a new job request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

if TYPE_CHECKING:  # only NewJob.for_model reads a registry: the webhook reads job states, not models
    from shared.catalog import Registry

__all__ = ["FailureReason", "Job", "JobState", "NewJob", "Outcome"]


class JobState(StrEnum):
    """queued → submitting → submitted → succeeded | failed | cancelled | expired."""

    QUEUED = "queued"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        """True once the job is settled: its hold was captured or refunded."""
        return self in _TERMINAL


_TERMINAL = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.EXPIRED})


class FailureReason(StrEnum):
    """Why a job did not produce a result, as a word the bot turns into a sentence for the user."""

    REFUSED = "refused"  # the model refused the request (content rules, prompt policy)
    GENERATION_FAILED = "generation_failed"  # the model tried and failed
    UNAVAILABLE = "unavailable"  # the model or KIE is unavailable right now
    BAD_INPUT = "bad_input"  # KIE rejected the parameters
    TIMEOUT = "timeout"  # no result within the model's time limit
    RESULT_UNAVAILABLE = "result_unavailable"  # KIE reported success but the file could not be fetched
    INPUT_UNREACHABLE = "input_unreachable"  # KIE could not fetch an input file (451)
    CANCELLED = "cancelled"  # the user cancelled
    UNDELIVERABLE = "undeliverable"  # Telegram refused the result as media and as a document
    UNREACHABLE = "unreachable"  # the chat cannot receive messages (the user blocked the bot)
    BANNED = "banned"  # an admin banned the user while the job ran: not delivered, refunded


@dataclass(frozen=True, slots=True)
class Job:
    """One row of `jobs`."""

    id: UUID
    user_id: int
    chat_id: int
    model_id: str
    params: Mapping[str, Any]
    price_credits: int
    state: JobState
    settlement: str | None
    kie_task_id: str | None
    attempts: int
    error_code: FailureReason | None
    error_text: str | None
    result_urls: tuple[str, ...]
    typical_seconds: int
    time_limit_seconds: int
    created_at: datetime
    submitted_at: datetime | None
    finished_at: datetime | None
    deadline: datetime
    progress_message_id: int | None
    delivered_at: datetime | None
    notified_at: datetime | None
    stop_waiting_at: datetime | None = None  # Cancel pressed after KIE accepted the task
    inline_message_id: str | None = None  # started from an inline message: delivered by editing it
    inline_own_chat: bool = False  # that inline message is in the user's own chat with the bot

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Job:
        """Build a job from a `jobs` row read with dict_row."""
        code = row["error_code"]
        return cls(
            id=row["id"],
            user_id=int(row["user_id"]),
            chat_id=int(row["chat_id"]),
            model_id=str(row["model_id"]),
            params=dict(row["params"]),
            price_credits=int(row["price_credits"]),
            state=JobState(row["state"]),
            settlement=row["settlement"],
            kie_task_id=row["kie_task_id"],
            attempts=int(row["attempts"]),
            error_code=FailureReason(code) if code else None,
            error_text=row["error_text"],
            result_urls=tuple(row["result_urls"] or ()),
            typical_seconds=int(row["typical_seconds"]),
            time_limit_seconds=int(row["time_limit_seconds"]),
            created_at=row["created_at"],
            submitted_at=row["submitted_at"],
            finished_at=row["finished_at"],
            deadline=row["deadline"],
            progress_message_id=row["progress_message_id"],
            delivered_at=row["delivered_at"],
            notified_at=row["notified_at"],
            stop_waiting_at=row.get("stop_waiting_at"),
            inline_message_id=row.get("inline_message_id"),
            inline_own_chat=bool(row.get("inline_own_chat")),
        )


@dataclass(frozen=True, slots=True)
class NewJob:
    """What the bot asks for when the user presses Generate.

    `job_id` may be chosen by the caller (e.g. derived from the update) so that a re-handled update
    creates the job once. `time_limit_seconds` and `typical_seconds` come from the model's registry
    entry; `NewJob.for_model` fills them (and the price, unless given).
    """

    user_id: int
    chat_id: int
    model_id: str
    params: Mapping[str, Any]
    price_credits: int
    time_limit_seconds: int
    typical_seconds: int
    job_id: UUID = field(default_factory=uuid4)
    progress_message_id: int | None = None
    inline_message_id: str | None = None
    inline_own_chat: bool = False

    def __post_init__(self) -> None:
        if self.price_credits <= 0:
            raise ValueError("price_credits must be positive")
        if self.time_limit_seconds <= 0 or self.typical_seconds <= 0:
            raise ValueError("time limits must be positive")

    @classmethod
    def for_model(
        cls,
        registry: Registry,
        *,
        user_id: int,
        chat_id: int,
        model_id: str,
        params: Mapping[str, Any],
        price_credits: int | None = None,
        job_id: UUID | None = None,
        progress_message_id: int | None = None,
        inline_message_id: str | None = None,
        inline_own_chat: bool = False,
    ) -> NewJob:
        """A request for `model_id` with `params` validated (InputError) and timed from the registry.

        Without `price_credits` the registry's price for these parameters is used.
        """
        registry.validate_input(model_id, params)
        model = registry.get(model_id)
        return cls(
            user_id=user_id,
            chat_id=chat_id,
            model_id=model_id,
            params=dict(params),
            price_credits=price_credits if price_credits is not None else registry.price(model_id, params),
            time_limit_seconds=model.time_limit_seconds,
            typical_seconds=model.typical_seconds,
            job_id=job_id or uuid4(),
            progress_message_id=progress_message_id,
            inline_message_id=inline_message_id,
            inline_own_chat=inline_own_chat,
        )


@dataclass(frozen=True, slots=True)
class Outcome:
    """A job after an idempotent operation, and whether this call changed it."""

    job: Job
    changed: bool
