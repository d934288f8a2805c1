"""The dedicated families' behaviour: Suno's staged callbacks, the record states over time, charges
on success only, validation 422s naming the field, and the documented webhook signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from emulators.kie import KieState, RunningEmulator
from emulators.kie.callbacks import webhook_signature
from tests.emulators.kie.conftest import Call
from tests.emulators.kie.test_golden import create
from tests.emulators.kie_support import API_KEY, HMAC_KEY, CallbackReceiver
from tests.kie.fixtures import load, shape_mismatches

SONG = {"customMode": False, "instrumental": False, "model": "V5", "prompt": "a song about snow"}


class TestSunoStages:
    async def test_text_first_complete_in_order(
        self, call: Call, state: KieState, emulator: RunningEmulator, receiver: CallbackReceiver
    ) -> None:
        """Callbacks come as text, first, complete (snake_case) while record-info walks the statuses."""
        answer = await call("POST", "/api/v1/generate", json={**SONG, "callBackUrl": receiver.url})
        task_id = answer["data"]["taskId"]
        statuses = []
        for _ in range(3):
            record = await call("GET", "/api/v1/generate/record-info", params={"taskId": task_id})
            statuses.append(record["data"]["status"])
            state.advance_task(task_id)
        record = await call("GET", "/api/v1/generate/record-info", params={"taskId": task_id})
        statuses.append(record["data"]["status"])
        assert statuses == ["PENDING", "TEXT_SUCCESS", "FIRST_SUCCESS", "SUCCESS"]
        assert await emulator.drain_callbacks()
        bodies = [json.loads(r.body) for r in receiver.received]
        assert [b["data"]["callbackType"] for b in bodies] == ["text", "first", "complete"]
        documented = load("suno", "callback-complete")["body"]
        for body in bodies:
            assert body["data"]["task_id"] == task_id
            assert not shape_mismatches(body, documented)
        first_tracks = bodies[1]["data"]["data"]
        assert first_tracks[0]["audio_url"] and not first_tracks[1]["audio_url"]
        assert all(track["audio_url"] and track["image_url"] for track in bodies[2]["data"]["data"])

    async def test_failure_sends_one_error_callback(
        self, call: Call, state: KieState, emulator: RunningEmulator, receiver: CallbackReceiver
    ) -> None:
        """A failed song answers GENERATE_AUDIO_FAILED and one `error` callback with data null."""
        answer = await call("POST", "/api/v1/generate", json={**SONG, "callBackUrl": receiver.url})
        task_id = answer["data"]["taskId"]
        state.fail_task(task_id, "531", "Generation failed, credits refunded")
        record = await call("GET", "/api/v1/generate/record-info", params={"taskId": task_id})
        assert record["data"]["status"] == "GENERATE_AUDIO_FAILED" and record["data"]["errorCode"] == 531
        assert await emulator.drain_callbacks()
        bodies = [json.loads(r.body) for r in receiver.received]
        assert [b["data"]["callbackType"] for b in bodies] == ["error"]
        assert bodies[0]["code"] == 531 and bodies[0]["data"]["data"] is None

    async def test_music_tracks_are_audio_with_covers(
        self, call: Call, state: KieState, receiver: CallbackReceiver
    ) -> None:
        """Both tracks download as MP3 with a PNG cover from the file host."""
        task_id = await create(call, "suno", "generate", "/api/v1/generate", receiver)
        state.complete_task(task_id)
        record = await call("GET", "/api/v1/generate/record-info", params={"taskId": task_id})
        tracks = record["data"]["response"]["sunoData"]
        assert len(tracks) == 2
        for track in tracks:
            audio = state.files.get(track["audioUrl"].split("/files/", 1)[1])
            cover = state.files.get(track["imageUrl"].split("/files/", 1)[1])
            assert audio is not None and audio.data[:3] == b"ID3"
            assert cover is not None and cover.data[:4] == b"\x89PNG"


class TestStatesAndCredits:
    async def test_veo_success_flag_walks_0_then_1(
        self, call: Call, state: KieState, receiver: CallbackReceiver
    ) -> None:
        """successFlag is 0 while running, 1 after success; a failed task shows 3 with its errorCode."""
        ok = await create(call, "veo", "generate", "/api/v1/veo/generate", receiver)
        bad = await create(call, "veo", "generate", "/api/v1/veo/generate", receiver)
        running = await call("GET", "/api/v1/veo/record-info", params={"taskId": ok})
        assert running["data"]["successFlag"] == 0 and running["data"]["response"] is None
        state.complete_task(ok)
        state.fail_task(bad, "400", "flagged")
        done = await call("GET", "/api/v1/veo/record-info", params={"taskId": ok})
        failed = await call("GET", "/api/v1/veo/record-info", params={"taskId": bad})
        assert done["data"]["successFlag"] == 1
        assert (failed["data"]["successFlag"], failed["data"]["errorCode"]) == (3, 400)

    async def test_charged_on_success_only(
        self, call: Call, state: KieState, receiver: CallbackReceiver
    ) -> None:
        """A family task costs its price when it succeeds and nothing when it fails."""
        start = state.accounts.balance(API_KEY)
        ok = await create(call, "flux", "generate", "/api/v1/flux/kontext/generate", receiver)
        bad = await create(call, "flux", "generate", "/api/v1/flux/kontext/generate", receiver)
        assert state.accounts.balance(API_KEY) == start
        state.complete_task(ok)
        state.fail_task(bad)
        assert (
            state.accounts.balance(API_KEY)
            == start - state.tasks.get(ok).price
            > start - 2 * state.tasks.get(ok).price
        )

    async def test_too_few_credits_is_402(
        self, call: Call, state: KieState, receiver: CallbackReceiver
    ) -> None:
        """A family create the balance cannot pay answers 402 and starts nothing."""
        state.accounts.set(API_KEY, 1)
        answer = await call(
            "POST", "/api/v1/veo/generate", json={"prompt": "a cat", "callBackUrl": receiver.url}
        )
        assert answer["code"] == 402
        assert len(state.tasks) == 0

    async def test_record_of_another_family_is_unknown(self, call: Call, receiver: CallbackReceiver) -> None:
        """A Veo task id asked of the Midjourney record endpoint is 422 recordInfo is null."""
        task_id = await create(call, "veo", "generate", "/api/v1/veo/generate", receiver)
        answer = await call("GET", "/api/v1/mj/record-info", params={"taskId": task_id})
        assert answer == {"code": 422, "msg": "recordInfo is null", "data": None}


class TestValidation:
    async def test_bad_bodies_are_422_naming_the_field(self, call: Call, state: KieState) -> None:
        """Each family refuses a documented rule's violation with 422 naming the field; nothing starts."""
        cases = [
            ("/api/v1/generate", {**SONG, "callBackUrl": "https://x.io/cb", "model": "V3"}, "model"),
            ("/api/v1/generate", {**SONG, "prompt": "x" * 501, "callBackUrl": "https://x.io/cb"}, "prompt"),
            ("/api/v1/generate", {**SONG, "customMode": True, "callBackUrl": "https://x.io/cb"}, "style"),
            ("/api/v1/generate", SONG, "callBackUrl"),
            ("/api/v1/veo/generate", {"prompt": "x", "aspectRatio": "4:3"}, "aspectRatio"),
            ("/api/v1/gpt4o-image/generate", {"prompt": "x", "size": "16:9"}, "size"),
            ("/api/v1/gpt4o-image/generate", {"prompt": "x", "size": "1:1", "nVariants": 3}, "nVariants"),
            ("/api/v1/flux/kontext/generate", {"prompt": "x", "model": "flux-kontext-ultra"}, "model"),
            ("/api/v1/mj/generate", {"taskType": "mj_img2img", "prompt": "x"}, "fileUrls"),
            ("/api/v1/runway/generate", {"prompt": "x", "duration": 10, "quality": "1080p"}, "quality"),
            ("/api/v1/aleph/generate", {"prompt": "x"}, "videoUrl"),
            ("/api/v1/mj/generateUpscale", {"taskId": "nope", "imageIndex": 0}, "taskId"),
        ]
        for path, body, field in cases:
            answer = await call("POST", path, json=body)
            assert answer["code"] == 422 and field in answer["msg"], (path, body, answer)
        assert len(state.tasks) == 0


class TestSignature:
    def test_documented_vector(self) -> None:
        """The emulator's signature equals the vector built from the docs' formula."""
        vector = load("common", "webhook-signature")["vector"]
        assert (
            webhook_signature(vector["taskId"], vector["timestamp"], vector["webhookHmacKey"])
            == vector["signature"]
        )

    async def test_family_callbacks_are_signed_over_their_task_id(
        self, call: Call, state: KieState, emulator: RunningEmulator, receiver: CallbackReceiver
    ) -> None:
        """A Suno callback (task id under data.task_id) carries a signature a docs-only verifier accepts."""
        task_id = await create(call, "suno", "generate", "/api/v1/generate", receiver)
        state.complete_task(task_id)
        assert await emulator.drain_callbacks()
        got = receiver.received[-1]
        assert json.loads(got.body)["data"]["task_id"] == task_id
        message = f"{task_id}.{got.headers['X-Webhook-Timestamp']}".encode()
        expected = base64.b64encode(hmac.new(HMAC_KEY.encode(), message, hashlib.sha256).digest()).decode()
        assert got.headers["X-Webhook-Signature"] == expected


class TestFamilyFaults:
    async def test_a_family_endpoint_takes_fault_rules(
        self, call: Call, emulator: RunningEmulator, receiver: CallbackReceiver
    ) -> None:
        """A control-API rule on "veo.recordInfo" answers its code once, then the record again."""
        task_id = await create(call, "veo", "generate", "/api/v1/veo/generate", receiver)
        rule = await call("POST", "/_emulator/faults", json={"endpoint": "veo.recordInfo", "kind": "455"})
        assert rule["ok"] is True
        faulted = await call("GET", "/api/v1/veo/record-info", params={"taskId": task_id})
        again = await call("GET", "/api/v1/veo/record-info", params={"taskId": task_id})
        assert (faulted["code"], again["code"]) == (455, 200)

    async def test_control_api_completes_a_family_task(
        self, call: Call, emulator: RunningEmulator, receiver: CallbackReceiver
    ) -> None:
        """POST /_emulator/tasks/{id}/complete works for a Midjourney task and lists its family."""
        task_id = await create(call, "mj", "generate", "/api/v1/mj/generate", receiver)
        done = await call("POST", f"/_emulator/tasks/{task_id}/complete")
        assert done["result"]["family"] == "mj" and done["result"]["state"] == "success"
        record = await call("GET", "/api/v1/mj/record-info", params={"taskId": task_id})
        assert record["data"]["successFlag"] == 1
