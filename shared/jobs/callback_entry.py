"""The callback stream's message: one verified KIE callback, as the webhook appends it and `jobs` reads it.

The webhook has checked the callback's token (and KIE's signature) before appending, so ``job_id`` names
a job we created; the callback itself is only a hint, confirmed with recordInfo by the reader.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

__all__ = ["CallbackEntry"]


@dataclass(frozen=True, slots=True)
class CallbackEntry:
    """One entry of the ``{kie}:callbacks`` stream (``entry_id`` is empty before it is appended)."""

    entry_id: str
    job_id: uuid.UUID
    task_id: str
    body: str
    received_at: float

    def to_fields(self) -> dict[str, str]:
        """The stream fields (``body`` is KIE's raw JSON, kept for operators)."""
        return {
            "job_id": str(self.job_id),
            "task_id": self.task_id,
            "body": self.body,
            "received_at": f"{self.received_at:.3f}",
        }

    @classmethod
    def from_fields(cls, entry_id: str, fields: dict[bytes, bytes]) -> CallbackEntry:
        """Decode a stream entry; raises ``KeyError``/``ValueError`` when it is malformed."""
        task_id = fields[b"task_id"].decode()
        if not task_id:
            raise ValueError("callback entry without a task id")
        return cls(
            entry_id=entry_id,
            job_id=uuid.UUID(fields[b"job_id"].decode()),
            task_id=task_id,
            body=fields.get(b"body", b"").decode("utf-8", "replace"),
            received_at=float(fields.get(b"received_at", b"0")),
        )

    def log_context(self) -> dict[str, object]:
        """Bound to every log line about this entry."""
        return {"job_id": str(self.job_id), "task_id": self.task_id}
