"""Generation jobs: the outbox row and its credit hold, written together; settlement exactly once.

Entry points for the bot (all async, a psycopg `AsyncConnectionPool` injected)::

    store = JobStore(pool)
    new = NewJob.for_model(registry, user_id=u, chat_id=c, model_id="z-image", params={...})
    outcome = await store.create_job(new)       # raises InsufficientCredits(balance, needed)
    await store.cancel(outcome.job.id, user_id=u)   # refunds only while still queued
    await store.recent_jobs(u, limit=20)

`capture` and `refund` are called by the `jobs` program; each settles a job at most once (a second
call, or the other one, returns the settled job with `changed=False`).
"""

from typing import TYPE_CHECKING

# Eager: the function callback_url shares its name with its module, and importing that module anywhere
# would otherwise leave the package attribute pointing at the module (lazy_exports refuses the clash).
from shared.jobs.callback_url import CALLBACK_PATH, callback_secret, callback_url
from shared.lazy import lazy_exports

if TYPE_CHECKING:
    from shared.jobs.callback_entry import CallbackEntry
    from shared.jobs.errors import JobError, JobNotFound
    from shared.jobs.follow_ups import FOLLOW_UP_KEY, FollowUpRequest
    from shared.jobs.model import FailureReason, Job, JobState, NewJob, Outcome
    from shared.jobs.store import JobStore, Settling
    from shared.jobs.tracking import JobTracking, Recipient, poll_interval

__all__ = [
    "CALLBACK_PATH",
    "FOLLOW_UP_KEY",
    "CallbackEntry",
    "FailureReason",
    "FollowUpRequest",
    "Job",
    "JobError",
    "JobNotFound",
    "JobState",
    "JobStore",
    "JobTracking",
    "NewJob",
    "Outcome",
    "Recipient",
    "Settling",
    "callback_secret",
    "callback_url",
    "poll_interval",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "callback_entry": ("CallbackEntry",),
        "errors": ("JobError", "JobNotFound"),
        "follow_ups": ("FOLLOW_UP_KEY", "FollowUpRequest"),
        "model": ("FailureReason", "Job", "JobState", "NewJob", "Outcome"),
        "store": ("JobStore", "Settling"),
        "tracking": ("JobTracking", "Recipient", "poll_interval"),
    },
)
