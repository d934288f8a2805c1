"""Collapsing alerts into one admin message per window, and the message itself."""

from __future__ import annotations

from services.listener.notify import MAX_LINES, AlertBatcher, render_batch
from shared.ops.alerts import Alert, AlertKind


def alert(program: str = "webhook", kind: AlertKind = AlertKind.EXITED, **extra: object) -> Alert:
    return Alert(kind=kind, host="host-a", program=program, at=0.0, **extra)  # type: ignore[arg-type]


class TestAlertBatcher:
    def test_a_batch_is_due_one_window_after_its_first_alert(self) -> None:
        """Alerts arriving within the window are sent together, once."""
        batcher = AlertBatcher(10.0)
        batcher.add(alert("webhook"), 100.0)
        batcher.add(alert("jobs"), 105.0)
        assert batcher.take_due(109.9) == []
        assert [a.program for a in batcher.take_due(110.0)] == ["webhook", "jobs"]
        assert batcher.take_due(200.0) == []

    def test_an_alert_after_a_flush_opens_a_new_window(self) -> None:
        """The window starts at the first alert of each batch, not at the last flush."""
        batcher = AlertBatcher(10.0)
        batcher.add(alert(), 0.0)
        batcher.take_due(10.0)
        batcher.add(alert("jobs"), 50.0)
        assert batcher.take_due(55.0) == []
        assert len(batcher.take_due(60.0)) == 1

    def test_zero_window_sends_at_once(self) -> None:
        """ALERT_COLLAPSE_SECONDS=0 turns collapsing off."""
        batcher = AlertBatcher(0.0)
        batcher.add(alert(), 5.0)
        assert len(batcher.take_due(5.0)) == 1


class TestRenderBatch:
    def test_one_line_per_alert_under_a_headline(self) -> None:
        """The message names the count, the host, and each alert."""
        text = render_batch([alert("webhook"), alert("jobs", AlertKind.STOPPED, restarts=6, period_s=60.0)])
        lines = text.splitlines()
        assert "2 alert(s) on host-a" in lines[0]
        assert lines[2].startswith("• jobs@host-a stopped by the crash guard")
        assert "6 restart(s) in 60 s" in lines[2]

    def test_configuration_error_is_named(self) -> None:
        """A program down for a wrong setting says so, with the setting."""
        fatal = alert("warmup", AlertKind.FATAL, reason="configuration error: LEASE_TTL_SECONDS: too small")
        text = render_batch([fatal])
        assert "not restarted: configuration error: LEASE_TTL_SECONDS: too small" in text

    def test_a_storm_is_cut_to_a_readable_message(self) -> None:
        """Past MAX_LINES alerts the message says how many more there were."""
        text = render_batch([alert(f"bot:bot_{i:02d}") for i in range(MAX_LINES + 7)])
        assert text.endswith("… and 7 more (see the alerts stream)")
        assert len(text) < 4096
