"""`KieState`: everything the emulator knows, and the operations its routes and control API perform.

It composes the clock, accounts, task book, fault plan, file store and the records of calls and
callback attempts. The HTTP layers (api.py, upload.py, control.py) only parse and answer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from .accounts import Accounts, SlidingWindow, as_number
from .callbacks import CallbackSender
from .clock import EmulatorClock
from .config import ChargeOn, EmulatorConfig
from .docs_table import DocsTable, load_docs_table
from .errors import INSUFFICIENT_CREDITS, NO_ACCESS, RATE_LIMITED, RECORD_IS_NULL, KieFailure
from .families import Family, TaskPlan, build_families, result_ids
from .faults import FaultPlan
from .files import FileStore, StoredFile, file_url, random_name
from .model import CallbackAttempt, CallRecord, Task, TaskState
from .results import render_cover, render_results
from .tasks import TaskBook
from .validation import parse_create_request

__all__ = ["KieState"]

log = structlog.get_logger(__name__)

_UPLOAD_LIFETIME = timedelta(days=3)


class KieState:
    """The emulated KIE account world. Build one per emulator; inject a docs table or clock in tests."""

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        docs: DocsTable | None = None,
        clock: EmulatorClock | None = None,
    ) -> None:
        self.config = config or EmulatorConfig()
        self.docs = docs or load_docs_table()
        self.families: dict[str, Family] = build_families(self.config)
        self.clock = clock or EmulatorClock()
        self.accounts = Accounts(self.config.api_keys)
        self.tasks = TaskBook(self.clock)
        self.faults = FaultPlan(self.config.seed)
        self.files = FileStore()
        self.calls: list[CallRecord] = []
        self.callback_attempts: list[CallbackAttempt] = []
        self.api_url = ""
        self.upload_url = ""
        limits = self.config.rate_limits
        self._create_window = SlidingWindow(limits.create_per_window, limits.create_window_seconds)
        self._record_window = SlidingWindow(limits.record_per_second, 1.0)
        self._sender: CallbackSender | None = None
        self._unsent: list[tuple[Task, dict[str, Any], str]] = []
        self.upgrades: dict[tuple[str, str], str] = {}
        """Veo 1080p upgrades started: (video task id, index) → hidden upgrade task id."""

    # -- wiring ----------------------------------------------------------------------------------

    def bind(self, api_url: str, upload_url: str) -> None:
        """Set the public base URLs that result and upload links use."""
        self.api_url, self.upload_url = api_url.rstrip("/"), upload_url.rstrip("/")

    def attach_sender(self, sender: CallbackSender | None) -> None:
        """Start (or stop, with None) sending callbacks; callbacks that waited for a sender go now."""
        self._sender = sender
        if sender is not None:
            waiting, self._unsent = self._unsent, []
            for task, body, stage in waiting:
                sender.send(task, body, stage)

    # -- KIE API ---------------------------------------------------------------------------------

    def authenticate(self, authorization: str | None) -> str:
        """The API key of a `Bearer` header; KieFailure(401) when missing or unknown."""
        scheme, _, key = (authorization or "").partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key or not self.accounts.known(key):
            raise KieFailure(401, NO_ACCESS)
        return key

    def create_task(self, api_key: str, body: object) -> Task:
        """Validate a Market createTask body against the docs table, then start it (kie-api.md §2.1)."""
        if not self._create_window.allow(api_key):
            raise KieFailure(429, RATE_LIMITED)
        request = parse_create_request(self.docs, body)
        model = request.model
        plan = TaskPlan(model.id, model.type, model.output, request.body, request.price)
        return self.start(api_key, "market", plan)

    def create_family_task(self, api_key: str, family: str, parse: Any, body: object) -> Task:
        """Validate a family's create (or follow-up) body with `parse`, then start the task."""
        if not self._create_window.allow(api_key):
            raise KieFailure(429, RATE_LIMITED)
        return self.start(api_key, family, parse(body, self.lookup(api_key, family)))

    def start(self, api_key: str, family: str, plan: TaskPlan) -> Task:
        """Check credits, then store a new waiting task of `family` as `plan` says."""
        if self._available(api_key) < plan.price:
            raise KieFailure(402, INSUFFICIENT_CREDITS)
        task = self.tasks.create(
            api_key=api_key,
            model=plan.model,
            gen_type=plan.gen_type,
            kind=plan.kind,
            request=plan.request,
            price=plan.price,
            phases=self.config.phases_for(plan.kind, plan.gen_type),
            family=family,
            operation=plan.operation,
            parent_id=plan.parent_id,
            result_count=plan.result_count,
            covers=plan.covers,
        )
        fail, task.lose_callback, task.duplicate_callback = self.faults.plan_task()
        if fail:
            task.planned_fail = (self.config.fail_code, self.config.fail_msg)
        if self.config.charge_on is ChargeOn.ACCEPT:
            self.accounts.debit(api_key, task.price)
        log.info(
            "kie_emulator_task_created", task_id=task.id, family=family, model=plan.model, price=task.price
        )
        return task

    def lookup(self, api_key: str, family: str) -> Callable[[str], Task | None]:
        """Finds the key's tasks of `family` by task id or result id (for follow-up calls)."""

        def find(wanted: str) -> Task | None:
            for task in self.tasks:
                mine = task.api_key == api_key and task.family == family
                if mine and (wanted == task.id or wanted in result_ids(task)):
                    return task
            return None

        return find

    def record_info(self, api_key: str, task_id: str | None, family: str = "market") -> dict[str, Any]:
        """The record `data` of a task the key owns, in `family`'s shape (§2.2, §4)."""
        if not self._record_window.allow(api_key):
            raise KieFailure(429, RATE_LIMITED)
        if not task_id:
            raise KieFailure(400, "taskId parameter is required")
        self.tick()
        task = self.tasks.find(task_id)
        if task is None or task.api_key != api_key or task.family != family:
            raise KieFailure(422, RECORD_IS_NULL)
        task.polls += 1
        if task.polls <= self.config.null_polls:
            raise KieFailure(422, RECORD_IS_NULL)
        return self.families[family].record(task, self.clock.now())

    def file_link(self, url: object) -> str:
        """A 20-minute link for one of our files; 422 for any other URL."""
        if not isinstance(url, str) or not url:
            raise KieFailure(422, "url is required")
        stored = self.files.find_url(url, (self.api_url, self.upload_url))
        if stored is None:
            raise KieFailure(422, "url is not a file generated by KIE")
        expires = self.clock.now_ms() + 20 * 60 * 1000
        return f"{file_url(self.api_url, stored)}?expires={expires}&token={random_name('')}"

    def credit(self, api_key: str) -> int | float:
        """The key's balance (§5.1)."""
        return as_number(self.accounts.balance(api_key))

    def download_url(self, url: object) -> str:
        """download-url (§5.2): a 20-minute link for one of our files."""
        return self.file_link(url)

    def store_upload(self, data: bytes, upload_path: object, file_name: object) -> dict[str, Any]:
        """Store an uploaded file and return the upload host's `data` (both documented shapes, §6)."""
        if not isinstance(upload_path, str) or not upload_path.strip("/") or not data:
            raise KieFailure(400, "uploadPath and file content are required")
        name = file_name if isinstance(file_name, str) and file_name else random_name("")
        stored = self.files.put(f"{upload_path.strip('/')}/{name.strip('/')}", data, self.clock.now())
        return _upload_answer(stored, name, file_url(self.upload_url or self.api_url, stored))

    # -- time and outcomes -----------------------------------------------------------------------

    def tick(self) -> list[Task]:
        """Move every task up to the clock; send due staged callbacks; settle those that ended."""
        finished = self.tasks.tick()
        self._send_stages()
        for task in finished:
            self._settle(task)
        return finished

    def _send_stages(self) -> None:
        """Staged callbacks (Suno's text, first) of running tasks; partial results exist by then."""
        now = self.clock.now()
        for task in self.tasks.running():
            family = self.families[task.family]
            if not family.stage_callbacks(task, now):
                continue
            if task.state is TaskState.GENERATING:
                self._render(task)
            for stage, body in family.stage_callbacks(task, now):
                task.stages_sent.append(stage)
                self._announce(task, body, stage)

    def advance_clock(self, seconds: float) -> list[Task]:
        """Move emulator time forward, then tick."""
        self.clock.advance(seconds)
        return self.tick()

    def advance_task(self, task_id: str) -> Task:
        """End a task's current state now (waiting → queuing → generating → its outcome)."""
        for task in self.tasks.advance(task_id):
            self._settle(task)
        self._send_stages()
        return self.tasks.get(task_id)

    def complete_task(self, task_id: str) -> Task:
        """End a task now with success."""
        return self._settle(self.tasks.finish(task_id, None))

    def fail_task(self, task_id: str, fail_code: str | None = None, fail_msg: str | None = None) -> Task:
        """End a task now with fail (default failCode/failMsg from the config)."""
        reason = (fail_code or self.config.fail_code, fail_msg or self.config.fail_msg)
        return self._settle(self.tasks.finish(task_id, reason))

    def _available(self, api_key: str) -> float:
        """Balance minus what running tasks will still charge (charge-on-success holds)."""
        balance = self.accounts.balance(api_key)
        if self.config.charge_on is ChargeOn.ACCEPT:
            return balance
        return balance - sum(t.price for t in self.tasks.running() if t.api_key == api_key)

    def _render(self, task: Task) -> None:
        """Store the task's result files (and covers) once; results are made before they are shown."""
        if task.result_urls:
            return
        now = self.clock.now()
        for rendered in render_results(task, self.config):
            stored = self.files.put(
                f"results/{task.id}/{rendered.name}", rendered.data, now, rendered.mime_type
            )
            task.result_urls.append(file_url(self.api_url, stored))
        for variant in range(1, task.result_count + 1) if task.covers else ():
            cover = render_cover(task, variant)
            stored = self.files.put(f"results/{task.id}/{cover.name}", cover.data, now, cover.mime_type)
            task.cover_urls.append(file_url(self.api_url, stored))

    def _settle(self, task: Task) -> Task:
        if task.state is TaskState.SUCCESS:
            self._render(task)
            task.credits_consumed = task.price
            if self.config.charge_on is ChargeOn.SUCCESS:
                self.accounts.debit(task.api_key, task.price)
        elif self.config.charge_on is ChargeOn.ACCEPT:
            self.accounts.set(task.api_key, self.accounts.balance(task.api_key) + task.price)
        log.info("kie_emulator_task_ended", task_id=task.id, state=task.state.value)
        family = self.families[task.family]
        self._announce(task, family.final_callback(task, self.clock.now()), "final")
        return task

    def _announce(self, task: Task, body: dict[str, Any], stage: str) -> None:
        """Send one callback now, or keep it until a sender is attached."""
        if self._sender is not None:
            self._sender.send(task, body, stage)
        elif task.callback_url:
            self._unsent.append((task, body, stage))

    # -- records ---------------------------------------------------------------------------------

    def record_call(self, **fields: Any) -> CallRecord:
        """Append a record of one API call (see `CallRecord`)."""
        record = CallRecord(seq=len(self.calls) + 1, at=self.clock.now(), **fields)
        self.calls.append(record)
        return record

    def record_callback(self, attempt: CallbackAttempt) -> None:
        """Append a record of one callback attempt."""
        self.callback_attempts.append(attempt)

    def reset(self) -> None:
        """Forget tasks, files, calls, callbacks and faults; restore balances; reseed."""
        self.tasks.clear()
        self.files.clear()
        self.calls.clear()
        self.callback_attempts.clear()
        self.accounts.reset()
        self.faults.clear()
        self.faults.reseed(self.config.seed)
        self._create_window.reset()
        self._record_window.reset()
        self._unsent.clear()
        self.upgrades.clear()

    def summary(self) -> dict[str, Any]:
        """Counts for the control API's state view."""
        states: dict[str, int] = {state.value: 0 for state in TaskState}
        for task in self.tasks:
            states[task.state.value] += 1
        return {
            "now": self.clock.now(),
            "frozen": self.clock.frozen,
            "apiUrl": self.api_url,
            "uploadUrl": self.upload_url,
            "tasks": states,
            "calls": len(self.calls),
            "callbackAttempts": len(self.callback_attempts),
            "files": len(self.files),
            "faults": self.faults.to_api(),
        }


def _upload_answer(stored: StoredFile, original: str, url: str) -> dict[str, Any]:
    uploaded = datetime.fromtimestamp(stored.created, tz=UTC)
    stamp = uploaded.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    expires = (uploaded + _UPLOAD_LIFETIME).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "fileId": stored.path,
        "fileName": stored.name,
        "originalName": original,
        "filePath": stored.path,
        "uploadPath": stored.path.rsplit("/", 1)[0],
        "downloadUrl": url,
        "fileUrl": url,
        "fileSize": len(stored.data),
        "mimeType": stored.mime_type,
        "uploadedAt": stamp,
        "uploadTime": stamp,
        "expiresAt": expires,
    }
