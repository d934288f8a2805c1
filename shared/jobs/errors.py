"""Errors of the job store.

    TrtError
    └── JobError            a job operation was refused; nothing was written
        └── JobNotFound     no such job (or not the caller's)

Credit refusals are the ledger's own errors (`shared.ledger.InsufficientCredits`, `UnknownUser`).
"""

from __future__ import annotations

from uuid import UUID

from shared.errors import TrtError

__all__ = ["JobError", "JobNotFound"]


class JobError(TrtError):
    """A job operation was refused; its transaction wrote nothing."""


class JobNotFound(JobError):
    """No job has this id, or it belongs to another user."""

    def __init__(self, job_id: UUID) -> None:
        super().__init__(f"job {job_id} not found")
        self.job_id = job_id
