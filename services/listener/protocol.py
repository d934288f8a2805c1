"""supervisord's event listener protocol: READY, read one event, RESULT, over the listener's stdin/stdout.

supervisord sends an event only to a listener that said ``READY``, and sends the next one only after
``RESULT 2\\nOK``; while it waits, events queue in its buffer (and the oldest are dropped when it
overflows). So this side does nothing but parse and hand over: :meth:`ListenerProtocol.serve` runs in a
thread of its own, gives each event to ``deliver`` (which must not block: it only enqueues), and
answers OK at once. Every network call happens elsewhere, after the acknowledgement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

import structlog
from supervisor import childutils

from shared.errors import TrtError

__all__ = ["ListenerProtocol", "ProtocolError", "SupervisorEvent", "read_event"]

log = structlog.get_logger()


class ProtocolError(TrtError):
    """supervisord sent something that is not an event header and body."""


@dataclass(frozen=True, slots=True)
class SupervisorEvent:
    """One event: its name (``PROCESS_STATE_EXITED``), the payload's tokens, and any data after them."""

    name: str
    headers: dict[str, str]
    payload: dict[str, str]
    data: str = ""

    @property
    def process(self) -> str:
        """The supervisorctl name of the process the event is about (``bot:bot_01``, ``webhook``)."""
        name = self.payload.get("processname", "")
        group = self.payload.get("groupname", name)
        return name if group == name else f"{group}:{name}"


def read_event(stdin: TextIO) -> SupervisorEvent | None:
    """Read one header line and its body from ``stdin``; None at end of input."""
    line = stdin.readline()
    if not line:
        return None
    try:
        headers = childutils.get_headers(line)
        length = int(headers["len"])
    except (KeyError, ValueError) as exc:
        raise ProtocolError(f"not an event header: {line[:200]!r}") from exc
    body = stdin.read(length)
    if len(body) < length:
        return None
    first, _, data = body.partition("\n")
    return SupervisorEvent(headers["eventname"], headers, _tokens(first), data)


def _tokens(line: str) -> dict[str, str]:
    """``key:value key:value`` pairs; a token without a colon is kept with an empty value."""
    pairs = (token.partition(":") for token in line.split())
    return {key: value for key, _, value in pairs}


class ListenerProtocol:
    """The listener's side of the protocol on two text streams (stdin and a private copy of stdout)."""

    def __init__(self, stdin: TextIO, stdout: TextIO) -> None:
        self._stdin = stdin
        self._stdout = stdout

    def serve(self, deliver: Callable[[SupervisorEvent], None]) -> None:
        """Until end of input: say READY, read an event, hand it to ``deliver``, answer OK.

        An event that cannot be parsed or delivered is still answered OK (after logging): FAIL would make
        supervisord send it again, and a listener stuck on one event helps nobody.
        """
        while True:
            childutils.listener.ready(self._stdout)
            try:
                event = read_event(self._stdin)
            except ProtocolError as exc:
                log.error("listener_protocol_error", reason=str(exc))
                childutils.listener.ok(self._stdout)
                continue
            if event is None:
                log.info("listener_input_closed")
                return
            self._deliver(deliver, event)
            childutils.listener.ok(self._stdout)

    @staticmethod
    def _deliver(deliver: Callable[[SupervisorEvent], None], event: SupervisorEvent) -> None:
        try:
            deliver(event)
        except Exception:  # the protocol must answer whatever happens downstream; the reason is logged
            log.exception("listener_event_dropped", event_name=event.name, process=event.process)
