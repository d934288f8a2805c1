"""The crash guard's decisions: restart windows, the intensity limit, and one report per give-up."""

from __future__ import annotations

from services.listener.guard import CrashGuard, RestartWindow
from shared.ops.alerts import AlertKind
from tests.services.listener.events import backoff, event, exited


def guard(intensity: int = 3, period: float = 60.0) -> CrashGuard:
    return CrashGuard("host-a", intensity, period)


class TestRestartWindow:
    def test_counts_only_restarts_inside_the_period(self) -> None:
        """Restarts older than the period fall out of the window."""
        window = RestartWindow(10.0)
        assert [window.add(t) for t in (0.0, 4.0, 9.0)] == [1, 2, 3]
        assert window.add(12.0) == 3
        assert window.count(30.0) == 0


class TestIntensity:
    def test_exits_up_to_the_intensity_are_reported_not_stopped(self) -> None:
        """Exits within the limit are alerts only; supervisord's restart stands."""
        crash = guard(intensity=3)
        decisions = [crash.observe(exited("webhook"), float(t)) for t in range(3)]
        assert not any(d.stop for d in decisions)
        assert [d.alerts[0].kind for d in decisions] == [AlertKind.EXITED] * 3
        assert decisions[-1].alerts[0].restarts == 3

    def test_one_exit_more_than_the_intensity_stops_the_process(self) -> None:
        """The exit that exceeds the intensity stops the process and adds a STOPPED alert."""
        crash = guard(intensity=3)
        for t in range(3):
            crash.observe(exited("webhook"), float(t))
        decision = crash.observe(exited("webhook"), 3.0)
        assert decision.stop
        assert [a.kind for a in decision.alerts] == [AlertKind.EXITED, AlertKind.STOPPED]
        assert decision.alerts[1].restarts == 4

    def test_slow_crashes_never_reach_the_limit(self) -> None:
        """Exits spread wider than the period do not add up."""
        crash = guard(intensity=2, period=10.0)
        decisions = [crash.observe(exited("jobs"), t * 6.0) for t in range(10)]
        assert not any(d.stop for d in decisions)

    def test_failed_starts_count_towards_the_intensity(self) -> None:
        """BACKOFF (an exit before startsecs) is a restart too, recorded but not told to admins."""
        crash = guard(intensity=2)
        first = crash.observe(backoff("warmup"), 0.0)
        assert first.alerts[0].kind is AlertKind.FAILED_START and not first.alerts[0].notify
        crash.observe(backoff("warmup", 2), 1.0)
        assert crash.observe(backoff("warmup", 3), 2.0).stop

    def test_processes_are_counted_apart(self) -> None:
        """Each bot worker has its own window."""
        crash = guard(intensity=1)
        crash.observe(exited("bot:bot_00"), 0.0)
        assert not crash.observe(exited("bot:bot_01"), 0.1).stop
        assert crash.observe(exited("bot:bot_00"), 0.2).stop


class TestGiveUps:
    def test_fatal_after_a_guard_stop_is_not_reported_again(self) -> None:
        """A crash-guard stop and the FATAL that races it make one report."""
        crash = guard(intensity=1)
        crash.observe(backoff("warmup"), 0.0)
        assert crash.observe(backoff("warmup", 2), 1.0).stop
        assert crash.observe(event("FATAL", "warmup", "BACKOFF"), 1.5).alerts == ()

    def test_fatal_is_reported_once_until_started_again(self) -> None:
        """A second FATAL is reported only after an operator started the process again."""
        crash = guard(intensity=10)
        assert crash.observe(event("FATAL", "warmup", "BACKOFF"), 0.0).alerts[0].kind is AlertKind.FATAL
        assert crash.observe(event("FATAL", "warmup", "BACKOFF"), 1.0).alerts == ()
        crash.observe(event("STARTING", "warmup", "FATAL"), 2.0)
        assert crash.observe(event("FATAL", "warmup", "BACKOFF"), 3.0).alerts[0].kind is AlertKind.FATAL

    def test_a_manual_start_clears_the_window(self) -> None:
        """After an operator starts a stopped process, its old crashes no longer count."""
        crash = guard(intensity=1)
        crash.observe(exited("jobs"), 0.0)
        crash.observe(exited("jobs"), 1.0)
        crash.observe(event("STARTING", "jobs", "STOPPED"), 2.0)
        assert crash.restarts("jobs", 2.0) == 0
        assert not crash.observe(exited("jobs"), 3.0).stop

    def test_an_expected_exit_asks_for_the_exit_status(self) -> None:
        """An expected exit may be the configuration-error code: the app must confirm it."""
        decision = guard().observe(exited("webhook", expected=True), 0.0)
        assert decision.confirm_config_error and not decision.stop
        assert decision.alerts[0].kind is AlertKind.CONFIG_ERROR

    def test_its_own_events_and_other_event_types_are_ignored(self) -> None:
        """The listener never acts on itself, nor on ticks and RUNNING transitions."""
        crash = CrashGuard("host-a", 1, 60.0, own_group="crashguard")
        assert crash.observe(exited("crashguard"), 0.0).alerts == ()
        assert crash.observe(event("RUNNING", "webhook", "STARTING"), 0.0).alerts == ()
