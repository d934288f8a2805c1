"""Builders of supervisord events, as they appear on a listener's stdin and as parsed objects."""

from __future__ import annotations

from services.listener.protocol import SupervisorEvent


def wire(name: str, payload: str, serial: int = 1) -> str:
    """One event as supervisord writes it: a header line, then ``len`` characters of payload."""
    header = (
        f"ver:3.0 server:supervisor serial:{serial} pool:crashguard poolserial:{serial} "
        f"eventname:{name} len:{len(payload)}\n"
    )
    return header + payload


def state_payload(process: str, from_state: str, **extra: str) -> str:
    """The payload of a PROCESS_STATE event for ``process`` (``group:name`` or ``name``)."""
    group, _, name = process.partition(":")
    fields = {"processname": name or group, "groupname": group, "from_state": from_state, **extra}
    return " ".join(f"{key}:{value}" for key, value in fields.items())


def event(state: str, process: str, from_state: str = "RUNNING", **extra: str) -> SupervisorEvent:
    """A parsed PROCESS_STATE_<state> event."""
    payload = state_payload(process, from_state, **extra)
    tokens = dict(token.split(":", 1) for token in payload.split())
    name = f"PROCESS_STATE_{state}"
    return SupervisorEvent(name, {"eventname": name, "len": str(len(payload))}, tokens)


def exited(process: str, pid: int = 100, expected: bool = False) -> SupervisorEvent:
    return event("EXITED", process, "RUNNING", expected="1" if expected else "0", pid=str(pid))


def backoff(process: str, tries: int = 1) -> SupervisorEvent:
    return event("BACKOFF", process, "STARTING", tries=str(tries))
