"""KIE's failCode (and failMsg) of a failed task, as the reason the user is told and advised on.

From the KIE reference: 400 is invalid parameters or a content-policy refusal, 422 a validation error
(a refusal when its message names the content rules), 451 means KIE could not fetch an input file,
413 an input too large, 402/433/455/505 an operator-side limit or maintenance, 408 a timeout, and
500/501/531 a generation that failed.
"""

from __future__ import annotations

import re

from shared.jobs import FailureReason

__all__ = ["failure_reason"]

_POLICY = re.compile(r"prohibit|policy|sensitive|nsfw|safety|moderat|inappropriate|violat", re.IGNORECASE)
_BY_CODE = {
    "451": FailureReason.INPUT_UNREACHABLE,
    "413": FailureReason.BAD_INPUT,
    "400": FailureReason.BAD_INPUT,
    "422": FailureReason.BAD_INPUT,
    "402": FailureReason.UNAVAILABLE,
    "433": FailureReason.UNAVAILABLE,
    "455": FailureReason.UNAVAILABLE,
    "505": FailureReason.UNAVAILABLE,
    "408": FailureReason.TIMEOUT,
}


def failure_reason(fail_code: str | None, fail_msg: str | None = None) -> FailureReason:
    """Map a failed task's code (and message) to the reason the user is given."""
    if fail_msg and _POLICY.search(fail_msg):
        return FailureReason.REFUSED
    return _BY_CODE.get(fail_code or "", FailureReason.GENERATION_FAILED)
