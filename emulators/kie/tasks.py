"""The task book and its state machine: waiting → queuing → generating → success | fail.

A task's timeline is fixed at creation (`phase_ends`, from the type's `PhaseDurations`) and read
against the emulator clock: `tick()` moves every task to the state its timeline says and returns the
ones that just ended, so their owner can render results, settle credits and send callbacks. Control
calls bend a timeline: `advance` ends the current state now, `finish` ends the task now.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

from .clock import EmulatorClock
from .config import PhaseDurations
from .errors import EmulatorError
from .model import RUNNING_STATES, OutputKind, Task, TaskState

__all__ = ["TaskBook", "new_task_id"]


def new_task_id() -> str:
    """A task id as KIE's callbacks show them: 32 lowercase hex digits."""
    return secrets.token_hex(16)


class TaskBook:
    """Every task the emulator has accepted, in creation order."""

    def __init__(self, clock: EmulatorClock) -> None:
        self._clock = clock
        self._tasks: dict[str, Task] = {}

    def __len__(self) -> int:
        return len(self._tasks)

    def __iter__(self) -> Iterator[Task]:
        return iter(list(self._tasks.values()))

    def create(
        self,
        *,
        api_key: str,
        model: str,
        gen_type: str,
        kind: OutputKind,
        request: dict[str, Any],
        price: float,
        phases: PhaseDurations,
        **extra: Any,
    ) -> Task:
        """Store a new waiting task whose timeline starts now (`extra`: more `Task` fields)."""
        now = self._clock.now()
        ends = [now + phases.waiting]
        ends.append(ends[0] + phases.queuing)
        ends.append(ends[1] + phases.generating)
        task = Task(
            id=new_task_id(),
            api_key=api_key,
            model=model,
            gen_type=gen_type,
            kind=kind,
            request=request,
            price=price,
            created=now,
            phase_ends=ends,
            updated=now,
            **extra,
        )
        self._tasks[task.id] = task
        return task

    def find(self, task_id: str) -> Task | None:
        """The task with this id, or None."""
        return self._tasks.get(task_id)

    def get(self, task_id: str) -> Task:
        """The task with this id; EmulatorError when unknown."""
        task = self._tasks.get(task_id)
        if task is None:
            raise EmulatorError(f"no task {task_id!r}")
        return task

    def running(self) -> list[Task]:
        """Tasks not yet in a final state."""
        return [task for task in self._tasks.values() if not task.state.is_terminal]

    def clear(self) -> None:
        """Forget every task."""
        self._tasks.clear()

    def tick(self) -> list[Task]:
        """Bring every running task up to the clock; return the tasks that ended now."""
        now = self._clock.now()
        return [task for task in self.running() if self._catch_up(task, now)]

    def advance(self, task_id: str) -> list[Task]:
        """End the task's current state now (a generating task ends); return tasks that ended."""
        task = self._require_running(task_id)
        now = self._clock.now()
        index = RUNNING_STATES.index(task.state)
        shift = task.phase_ends[index] - now
        task.phase_ends = [end - shift if i >= index else end for i, end in enumerate(task.phase_ends)]
        return self.tick()

    def finish(self, task_id: str, fail: tuple[str, str] | None) -> Task:
        """End the task now: success when `fail` is None, else fail with (failCode, failMsg)."""
        task = self._require_running(task_id)
        now = self._clock.now()
        task.planned_fail = fail
        task.phase_ends = [min(end, now) for end in task.phase_ends]
        self._catch_up(task, now)
        return task

    def _require_running(self, task_id: str) -> Task:
        task = self.get(task_id)
        if task.state.is_terminal:
            raise EmulatorError(f"task {task_id!r} already ended ({task.state.value})")
        return task

    def _catch_up(self, task: Task, now: float) -> bool:
        """Set the state the timeline gives for `now`; True when the task just ended."""
        index = next((i for i, end in enumerate(task.phase_ends) if now < end), None)
        if index is not None:
            state = RUNNING_STATES[index]
            if state is not task.state:
                task.state, task.updated = state, task.phase_ends[index - 1] if index else task.created
            return False
        end = task.phase_ends[-1]
        task.updated = task.completed = end
        if task.planned_fail is None:
            task.state = TaskState.SUCCESS
        else:
            task.state = TaskState.FAIL
            task.fail_code, task.fail_msg = task.planned_fail
        return True
