"""KIE.ai emulator: an aiohttp server that plays api.kie.ai and its upload host for tests and the sandbox.

Run it::

    python -m emulators.kie --port 8082 [--api-key KEY[=CREDITS] ...] [--upload-port 8083]
        [--hmac-key K] [--seed N] [--duration NAME=SECONDS ...] [--charge-on success|accept]
        [--mirror-http-status] [--no-rate-limits] [--retry-delays 1,2,4] [--frozen-clock]

It binds 127.0.0.1 and prints ``kie emulator listening on http://127.0.0.1:8082`` when ready. Both
ports (when two are given) serve every route, so `KIE_API_BASE_URL` and `KIE_UPLOAD_BASE_URL` may
point at either. Without ``--api-key`` the key ``kie-emulator-key`` is accepted with 10000 credits.

In process::

    state = KieState(EmulatorConfig(api_keys={"key": 500}), clock=EmulatorClock(frozen=True))
    async with run_emulator(state, port=port) as emulator:
        async with KieClient(api_base_url=emulator.url, upload_base_url=emulator.upload_url,
                             api_key="key") as client:
            task_id = await client.create_task("nano-banana-2", {"prompt": "a fox"})
            state.advance_clock(10)           # or state.complete_task(task_id)
            record = await client.record_info(task_id)

KIE API (kie-api.md §1, §2, §4, §5, §6), all with ``Authorization: Bearer KEY`` and the envelope
``{"code", "msg", "data"}``; errors come inside HTTP 200 (``--mirror-http-status`` mirrors them).
Requests are validated from the emulator's own table of KIE's documented models and fields
(`docs/market_models.json`, see docs_table.py), never from catalog/registry.json or shared/:

    POST /api/v1/jobs/createTask       documented model + input: unknown model or bad field → 422
                                       naming it ("input.aspect_ratio: ..."); too few credits → 402;
                                       >20 per 10 s → 429      (docs.kie.ai Market model pages)
    GET  /api/v1/jobs/recordInfo       ?taskId=  missing → 400, unknown → 422 "recordInfo is null";
                                       `param`/`resultJson` JSON strings, ms times, costTime (s),
                                       creditsConsumed, progress (Sora 2)  (market/common/get-task-detail)
    Suno        POST /api/v1/generate, /api/v1/generate/extend; GET /api/v1/generate/record-info;
                staged callbacks text / first / complete (snake_case), error     (families/suno.py)
    Veo 3.1     POST /api/v1/veo/generate, /veo/extend, /veo/get-4k-video; GET /veo/get-1080p-video,
                /veo/record-info (successFlag 0/1/2/3)                             (families/veo.py)
    4o Image    POST /api/v1/gpt4o-image/generate, /gpt4o-image/download-url;
                GET /gpt4o-image/record-info                                   (families/images.py)
    Flux        POST /api/v1/flux/kontext/generate; GET /flux/kontext/record-info (families/images.py)
    Midjourney  POST /api/v1/mj/generate, /mj/generateUpscale, /mj/generateVary;
                GET /mj/record-info (resultInfoJson)                                (families/mj.py)
    Runway      POST /api/v1/runway/generate, /runway/extend; GET /runway/record-detail
    Aleph       POST /api/v1/aleph/generate; GET /aleph/record-info             (families/runway.py)
    GET  /api/v1/chat/credit           the key's balance
    POST /api/v1/common/download-url   {url} of one of our files → link; other URLs → 422
    POST /api/file-stream-upload       multipart file, uploadPath, fileName?   (envelope + success,
    POST /api/file-base64-upload       {base64Data (or data URL), uploadPath, fileName?}  data has
    POST /api/file-url-upload          {fileUrl, uploadPath, fileName?}  both documented shapes)
    GET  /files/{path}                 results and uploads (no auth, like KIE's file CDN)
    Unknown or missing key: HTTP 200 {"code": 401, "msg": "You do not have access permissions"}.
    Unknown route / wrong method: HTTP 404 / 405 with {"code": 404|405, "msg", "data": null}.

Tasks of every family go waiting → queuing → generating → success | fail on the emulator clock
(`PhaseDurations` per generation type or output kind; wall time by default, frozen with
``EmulatorClock(frozen=True)``); each family shows those states its own way (Suno's statuses,
successFlag, Runway's wait/queueing). A success is charged its price from the docs table (KIE's
published price where captured; on success by default, ``charge_on=accept`` charges at creation and
refunds a fail) and gets its results: PNG cards, H.264 MP4 clips or MP3 (or WAV) sounds whose
picture/tags show "KIE EMULATOR - SANDBOX OUTPUT", the model, the prompt and the parameters (four
for a Midjourney grid, two tracks with covers for Suno). Final tasks are POSTed to their
`callBackUrl` in their family's callback shape, retried after each `CallbackPolicy.retry_delays` on
non-2xx or timeout, signed with ``X-Webhook-Timestamp`` + ``X-Webhook-Signature`` (the documented
base64 HMAC-SHA256 of "taskId.timestamp") when ``hmac_key`` is set.

Control API (JSON; answers ``{"ok": true, "result": ...}`` or 400 ``{"ok": false, "description"}``):

    GET    /_emulator/state                     clock, URLs, task counts per state, faults
    GET    /_emulator/credits                   every key with its balance
    POST   /_emulator/credits                   {api_key, credits}  set a balance (new key: accepted)
    GET    /_emulator/tasks                     ?state=&model=  tasks with records and planned faults
    GET    /_emulator/tasks/{id}                one task
    POST   /_emulator/tasks/{id}/advance        end its current state now
    POST   /_emulator/tasks/{id}/complete       succeed now
    POST   /_emulator/tasks/{id}/fail           {failCode?, failMsg?}  fail now
    GET    /_emulator/clock                     {now, nowMs, frozen}
    POST   /_emulator/clock                     {frozen?, advance? (seconds)}  → also tasks that ended
    GET    /_emulator/calls                     ?endpoint=&task_id=&since=  recorded API calls
                                                (seq, at, endpoint, method, path, apiKey hint, model,
                                                taskId, code, httpStatus, msg)
    GET    /_emulator/callbacks                 ?task_id=  callback attempts (status, error, lost,
                                                duplicate, signed)
    GET    /_emulator/faults                    {rules, tasks}
    POST   /_emulator/faults                    {endpoint: createTask|recordInfo|credit|downloadUrl|
                                                upload|<family>.<call> (suno.generate,
                                                veo.recordInfo, veo.1080p, ...)|*,
                                                kind: "429"|"455"|"500"|"error"|"slow",
                                                count? (default 1; null = unlimited; default null
                                                with fraction), fraction?, code? (for "error",
                                                default 501), msg?, http_status?, after_create?,
                                                delay? (for "slow")}
    POST   /_emulator/faults/tasks              {fail_fraction?, lose_callback_fraction?,
                                                duplicate_callback_fraction?, fail_next?,
                                                lose_callback_next?, duplicate_callback_next?, seed?}
    DELETE /_emulator/faults                    clear every fault
    POST   /_emulator/reset                     forget tasks, files, records, faults; restore credits

Faults are drawn from random streams seeded by the config's `seed` (and `seed` above), so the same
seed and the same sequence of calls inject the same faults.
"""

from __future__ import annotations

from .app import RunningEmulator, create_app, run_emulator
from .clock import EmulatorClock
from .config import (
    DEFAULT_API_KEY,
    AudioFormat,
    CallbackPolicy,
    ChargeOn,
    EmulatorConfig,
    PhaseDurations,
    RateLimits,
)
from .errors import EmulatorError, KieFailure
from .faults import ApiFault, FaultKind, TaskFaults
from .model import CallbackAttempt, CallRecord, OutputKind, Task, TaskState
from .state import KieState

__all__ = [
    "DEFAULT_API_KEY",
    "ApiFault",
    "AudioFormat",
    "CallRecord",
    "CallbackAttempt",
    "CallbackPolicy",
    "ChargeOn",
    "EmulatorClock",
    "EmulatorConfig",
    "EmulatorError",
    "FaultKind",
    "KieFailure",
    "KieState",
    "OutputKind",
    "PhaseDurations",
    "RateLimits",
    "RunningEmulator",
    "Task",
    "TaskFaults",
    "TaskState",
    "create_app",
    "run_emulator",
]
