"""The crash guard: carries out :class:`CrashGuard`'s decisions and reports what happened.

For each supervisord event (already acknowledged by the protocol thread) it decides, stops a process
that restarts too often through XML-RPC, learns why a process went down, records the alert in Redis
and queues it for the admins' next collapsed Telegram message. It also queues the dead letters the
programs of its host record (:mod:`.relay`), which have no other way to reach the admins. Every step
is bounded by a timeout and none of them can raise out of :meth:`Crashguard.handle`: a broken Redis,
Telegram or supervisord socket costs a log line, never the listener.
"""

from __future__ import annotations

import asyncio
import time
import xmlrpc.client
from collections.abc import Callable

import structlog

from services.listener.explain import Explainer
from services.listener.guard import CrashGuard
from services.listener.notify import AlertBatcher, TelegramNotifier
from services.listener.protocol import SupervisorEvent
from services.listener.recorder import AlertRecorder
from services.listener.relay import AlertRelay
from shared.aio import unless_stopped, wait_stopped
from shared.metrics import ALERTS, CRASHGUARD_STOPS, PROGRAM_EXITS
from shared.ops.alerts import Alert, AlertKind
from shared.ops.supervisor import SupervisorClient, SupervisorUnavailable

__all__ = ["Crashguard"]

log = structlog.get_logger()

TICK_SECONDS = 0.25


class Crashguard:
    """Turns supervisord events into stops, alert records and admin messages."""

    def __init__(
        self,
        guard: CrashGuard,
        supervisor: SupervisorClient | None,
        recorder: AlertRecorder,
        notifier: TelegramNotifier,
        batcher: AlertBatcher,
        relay: AlertRelay | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._guard = guard
        self._supervisor = supervisor
        self._explainer = Explainer(supervisor)
        self._recorder = recorder
        self._notifier = notifier
        self._batcher = batcher
        self._relay = relay
        self._clock = clock

    async def run(self, events: asyncio.Queue[SupervisorEvent], stop: asyncio.Event) -> None:
        """Handle events and send due batches until ``stop``; then send what is still waiting."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self._consume(events, stop), name="crashguard:events")
            group.create_task(self._flush_loop(stop), name="crashguard:flush")
            if self._relay is not None:
                group.create_task(self._relay.run(stop, self._queue_relayed), name="crashguard:relay")
        await self._notifier.send(self._batcher.take_all())
        await self._recorder.flush()

    async def handle(self, event: SupervisorEvent) -> list[Alert]:
        """Act on one event; return the alerts it produced (already recorded and queued)."""
        try:
            return await self._handle(event)
        except Exception:  # top of the listener's loop: log and keep guarding
            log.exception("crashguard_event_failed", event_name=event.name, process=event.process)
            return []

    async def flush(self) -> None:
        """Send the batch whose collapse window has passed, and retry unwritten alerts."""
        await self._notifier.send(self._batcher.take_due(self._clock()))
        if self._recorder.pending:
            await self._recorder.flush()

    async def _handle(self, event: SupervisorEvent) -> list[Alert]:
        decision = self._guard.observe(event, self._clock())
        # Explain first: after the stop, supervisord's exit status is the stopped process's.
        alerts = [await self._explainer.explain(alert) for alert in decision.alerts]
        if decision.stop:
            await self._stop(event.process)
        if decision.confirm_config_error and not any(alert.config_error for alert in alerts):
            self._guard.forget_give_up(event.process)
            log.info("process_exited_expectedly", process=event.process)
            return []
        for alert in alerts:
            await self._report(alert)
        return alerts

    async def _report(self, alert: Alert) -> None:
        self._count(alert)
        log.warning("process_alert", kind=alert.kind.value, process=alert.program, summary=alert.summary())
        await self._recorder.record(alert)
        if alert.notify and self._notifier.enabled:
            self._batcher.add(alert, self._clock())

    def _queue_relayed(self, alert: Alert) -> None:
        log.warning("alert_relayed", kind=alert.kind.value, process=alert.program, summary=alert.summary())
        if self._notifier.enabled:
            self._batcher.add(alert, self._clock())

    async def _stop(self, process: str) -> None:
        if self._supervisor is None:
            log.error("crashguard_cannot_stop", process=process, reason="no SUPERVISOR_SERVER_URL")
            return
        try:
            info = await self._supervisor.stop(process)
            log.warning("crashguard_stopped", process=process, state=info.state)
        except (SupervisorUnavailable, xmlrpc.client.Fault) as exc:
            log.error("crashguard_stop_failed", process=process, reason=str(exc))

    @staticmethod
    def _count(alert: Alert) -> None:
        ALERTS.labels(kind=alert.kind.value).inc()
        if alert.kind.counts_as_restart:
            PROGRAM_EXITS.labels(program=alert.program, kind=alert.kind.value).inc()
        if alert.kind is AlertKind.STOPPED:
            CRASHGUARD_STOPS.labels(program=alert.program).inc()

    async def _consume(self, events: asyncio.Queue[SupervisorEvent], stop: asyncio.Event) -> None:
        while (event := await unless_stopped(events.get(), stop)) is not None:
            await self.handle(event)

    async def _flush_loop(self, stop: asyncio.Event) -> None:
        while not await wait_stopped(stop, TICK_SECONDS):
            try:
                await self.flush()
            except Exception:  # top of a loop: a failed flush is retried on the next tick
                log.exception("crashguard_flush_failed")
