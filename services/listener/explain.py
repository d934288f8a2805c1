"""Why a process went down: its exit status from supervisord and a configuration error from its log.

supervisord's events do not carry exit codes, and an exit before ``startsecs`` loses the code altogether
("Exited too quickly"). A program that stops for a wrong setting says so in its log, though: either the
plain line ``<program>: configuration error: <reason>`` written before logging is configured, or the JSON
event ``configuration_error`` with its ``reason`` (both from :func:`shared.process.run`). The tail of
the log is read through XML-RPC, so the listener needs no access to the log files.
"""

from __future__ import annotations

import json
import xmlrpc.client

import structlog

from shared.ops.alerts import Alert, AlertKind
from shared.ops.supervisor import SupervisorClient, SupervisorUnavailable
from shared.redaction import mask_url_passwords

__all__ = ["Explainer", "find_config_reason"]

log = structlog.get_logger()

_MARKER = "configuration error:"
_EVENT = "configuration_error"
_TAIL_BYTES = 8192


def find_config_reason(text: str) -> str | None:
    """The last configuration error in a log tail, as ``configuration error: <reason>``, or None.

    The reason goes to the alerts stream and to the admins' chat, so any URL password in it is masked
    (a program that failed on its settings had no known secrets to redact its own line with).
    """
    reason = _find_reason(text)
    return None if reason is None else mask_url_passwords(reason)


def _find_reason(text: str) -> str | None:
    for line in reversed(text.splitlines()):
        if _MARKER in line:
            return _MARKER + " " + line.split(_MARKER, 1)[1].strip()
        if _EVENT in line:
            reason = _json_reason(line)
            if reason is not None:
                return f"{_MARKER} {reason}"
    return None


def _json_reason(line: str) -> str | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or record.get("event") != _EVENT:
        return None
    return str(record.get("reason", "")).strip()


class Explainer:
    """Adds the exit status and a configuration error, when there is one, to an alert."""

    def __init__(self, supervisor: SupervisorClient | None) -> None:
        self._supervisor = supervisor

    async def explain(self, alert: Alert) -> Alert:
        """``alert`` with what supervisord and the log tell; unchanged when supervisord cannot be asked."""
        if self._supervisor is None or alert.kind is AlertKind.FAILED_START:
            return alert
        try:
            info = await self._supervisor.process(alert.program)
            # supervisord resets the exit status when it respawns: only an EXITED process still has it.
            status = info.exit_status if info.state == "EXITED" else None
            reason = ""
            if alert.kind.gives_up:
                reason = find_config_reason(await self._supervisor.tail_log(alert.program, _TAIL_BYTES)) or ""
        except (SupervisorUnavailable, xmlrpc.client.Fault) as exc:
            log.warning("exit_unexplained", process=alert.program, reason=str(exc))
            return alert
        return alert.with_reason(reason, status)
