"""Redis streams: typed command wrappers (here) and the one consumer (:mod:`shared.streams.consumer`).

Importing this package loads only the command wrappers, so a writer (the webhook) does not pay for the
consumer's machinery.
"""

from shared.streams.commands import (
    Entry,
    Fields,
    Pending,
    append,
    claim,
    ensure_group,
    pending_idle,
    read_group,
    touch,
)

__all__ = [
    "Entry",
    "Fields",
    "Pending",
    "append",
    "claim",
    "ensure_group",
    "pending_idle",
    "read_group",
    "touch",
]
