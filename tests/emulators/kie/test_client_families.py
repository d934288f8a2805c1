"""Our KIE client (shared.kie) against the emulator, family by family: what the oracle is for.

Each family's task is submitted through `KieClient.submit` with a request body the client builds,
finished on the emulator, read back through `KieClient.record` and its callbacks parsed with
`parse_callback`: a mismatch between the client and KIE's documented shapes fails here."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from emulators.kie import KieState, RunningEmulator
from emulators.kie.families.suno import result_ids
from shared.kie import KieClient, TaskState, parse_callback
from tests.emulators.kie_support import CallbackReceiver, kie_client

# route, model, params the wizard would send (documented fields only)
SUBMITS: list[tuple[str, str, dict[str, Any]]] = [
    ("market", "nano-banana-2", {"prompt": "a fox", "resolution": "2K"}),
    (
        "suno",
        "V5",
        {
            "customMode": True,
            "instrumental": False,
            "prompt": "[Verse] snow",
            "style": "folk",
            "title": "Snow",
        },
    ),
    ("veo", "veo3_fast", {"prompt": "a fox running", "aspectRatio": "16:9"}),
    ("4o-image", "gpt-4o-image", {"prompt": "a fox", "size": "1:1", "nVariants": 2}),
    ("flux-kontext", "flux-kontext-pro", {"prompt": "a fox", "aspectRatio": "16:9"}),
    ("midjourney", "midjourney", {"taskType": "mj_txt2img", "prompt": "a fox", "speed": "fast"}),
    ("runway", "runway", {"prompt": "a fox", "duration": 5, "quality": "720p"}),
    ("aleph", "runway-aleph", {"prompt": "make it snow", "videoUrl": "https://files.example/in.mp4"}),
]


@pytest.fixture(name="client")
async def _client(emulator: RunningEmulator) -> AsyncIterator[KieClient]:
    async with kie_client(emulator.url) as client:
        yield client


@pytest.mark.parametrize(("route", "model", "params"), SUBMITS, ids=[s[0] for s in SUBMITS])
async def test_submit_record_and_callback(
    client: KieClient,
    state: KieState,
    emulator: RunningEmulator,
    receiver: CallbackReceiver,
    route: str,
    model: str,
    params: dict[str, Any],
) -> None:
    """The emulator accepts the client's body; the client reads the success record and callback."""
    task_id = await client.submit(route, model, params, receiver.url)
    running = await client.record(route, task_id)
    assert running.state not in (TaskState.SUCCESS, TaskState.FAIL)
    state.complete_task(task_id)
    record = await client.record(route, task_id)
    assert record.state is TaskState.SUCCESS
    assert record.result_urls, record
    assert await emulator.drain_callbacks()
    events = [parse_callback(json.loads(got.body)) for got in receiver.received]
    assert events and events[-1].task_id == task_id and events[-1].code == 200


async def _finished(
    client: KieClient, state: KieState, hook: str, route: str, model: str, params: dict[str, Any]
) -> str:
    task_id = await client.submit(route, model, params, hook)
    state.complete_task(task_id)
    return task_id


async def test_follow_ups(client: KieClient, state: KieState, receiver: CallbackReceiver) -> None:
    """Veo 1080p/4K/extend, Midjourney upscale/vary, Suno extend and Runway extend via the client."""
    veo = await _finished(client, state, receiver.url, "veo", "veo3_fast", {"prompt": "a fox"})
    assert await client.veo_1080p(veo) is None
    state.advance_clock(60)
    hd = await client.veo_1080p(veo)
    assert hd is not None and hd.endswith(".mp4")
    grid = await _finished(
        client, state, receiver.url, "midjourney", "midjourney", {"taskType": "mj_txt2img", "prompt": "a fox"}
    )
    song = await _finished(
        client,
        state,
        receiver.url,
        "suno",
        "V5",
        {"customMode": False, "instrumental": True, "prompt": "calm"},
    )
    # The client's ResultItem carries no track id, so the documented audioId comes from the emulator.
    audio_id = result_ids(state.tasks.get(song))[0]
    clip = await _finished(
        client, state, receiver.url, "runway", "runway", {"prompt": "a fox", "duration": 5, "quality": "720p"}
    )
    follow_ups = [
        ("veo", "4k", {"taskId": veo, "index": 0}),
        ("veo", "extend", {"taskId": veo, "prompt": "keeps running"}),
        ("midjourney", "upscale", {"taskId": grid, "imageIndex": 0}),
        ("midjourney", "vary", {"taskId": grid, "imageIndex": 3}),
        ("suno", "extend", {"defaultParamFlag": False, "audioId": audio_id, "model": "V5"}),
        ("runway", "extend", {"taskId": clip, "prompt": "more", "quality": "720p"}),
    ]
    for route, action, fields in follow_ups:
        task_id = await client.follow_up(route, action, fields, receiver.url)
        state.complete_task(task_id)
        record = await client.record(route, task_id)
        assert record.state is TaskState.SUCCESS and record.result_urls, (route, action, record)
