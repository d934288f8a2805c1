"""The listener protocol over real pipes: READY, one event, RESULT OK, until end of input."""

from __future__ import annotations

import io
import os
import threading

from services.listener.protocol import ListenerProtocol, SupervisorEvent, read_event
from tests.services.listener.events import state_payload, wire

READY = "READY\n"
OK = "RESULT 2\nOK"


def run_listener(stdin_text: str) -> tuple[list[SupervisorEvent], str]:
    """Write ``stdin_text`` into a pipe, run the protocol on it to end of input; return events and output."""
    read_fd, write_fd = os.pipe()
    out_read, out_write = os.pipe()
    delivered: list[SupervisorEvent] = []
    with open(read_fd, encoding="utf-8") as stdin, open(out_write, "w", encoding="utf-8") as stdout:
        protocol = ListenerProtocol(stdin, stdout)
        thread = threading.Thread(target=protocol.serve, args=(delivered.append,))
        thread.start()
        with open(write_fd, "w", encoding="utf-8") as writer:
            writer.write(stdin_text)
        thread.join(10)
        assert not thread.is_alive()
    with open(out_read, encoding="utf-8") as output:
        return delivered, output.read()


class TestReadEvent:
    def test_parses_header_and_payload_tokens(self) -> None:
        """The event name comes from the header and the payload splits into key:value tokens."""
        text = wire("PROCESS_STATE_EXITED", state_payload("bot:bot_01", "RUNNING", expected="0", pid="42"))
        event = read_event(io.StringIO(text))
        assert event is not None
        assert event.name == "PROCESS_STATE_EXITED"
        assert event.payload["pid"] == "42"
        assert event.process == "bot:bot_01"

    def test_single_process_group_uses_the_bare_name(self) -> None:
        """A program that is its own group is named like supervisorctl names it."""
        event = read_event(io.StringIO(wire("PROCESS_STATE_FATAL", state_payload("webhook", "BACKOFF"))))
        assert event is not None and event.process == "webhook"

    def test_body_after_the_first_line_is_data(self) -> None:
        """Events with a body (e.g. PROCESS_LOG) keep it apart from the tokens."""
        event = read_event(io.StringIO(wire("PROCESS_LOG_STDOUT", "processname:x groupname:x pid:1\nhello")))
        assert event is not None and event.data == "hello"

    def test_end_of_input_is_none(self) -> None:
        """An empty stdin, or one cut inside a body, ends the listener rather than raising."""
        assert read_event(io.StringIO("")) is None
        assert read_event(io.StringIO(wire("TICK_5", "when:1")[:-2])) is None


class TestListenerProtocol:
    def test_answers_ready_then_ok_for_each_event(self) -> None:
        """Each event is acknowledged, and the listener says READY before each read."""
        events = [
            wire("PROCESS_STATE_STARTING", state_payload("webhook", "STOPPED", tries="0"), 1),
            wire("PROCESS_STATE_EXITED", state_payload("webhook", "RUNNING", expected="0", pid="7"), 2),
        ]
        delivered, output = run_listener("".join(events))
        assert [e.name for e in delivered] == ["PROCESS_STATE_STARTING", "PROCESS_STATE_EXITED"]
        assert output == READY + OK + READY + OK + READY

    def test_a_failing_consumer_still_gets_ok(self) -> None:
        """An exception downstream never turns into FAIL (which would make supervisord resend forever)."""
        read_fd, write_fd = os.pipe()
        out_read, out_write = os.pipe()

        def explode(event: SupervisorEvent) -> None:
            raise ValueError("downstream bug")

        with open(read_fd, encoding="utf-8") as stdin, open(out_write, "w", encoding="utf-8") as stdout:
            with open(write_fd, "w", encoding="utf-8") as writer:
                writer.write(wire("TICK_5", "when:1"))
            ListenerProtocol(stdin, stdout).serve(explode)
        with open(out_read, encoding="utf-8") as output:
            assert output.read() == READY + OK + READY

    def test_garbage_header_is_acknowledged_and_skipped(self) -> None:
        """A line that is not a header is logged and answered, and the next event is still read."""
        delivered, output = run_listener("nonsense\n" + wire("TICK_5", "when:1"))
        assert [e.name for e in delivered] == ["TICK_5"]
        assert output.count(OK) == 2
