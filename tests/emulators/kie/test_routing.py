"""Unknown routes and wrong methods answer KIE's JSON envelope, not aiohttp's plain text."""

from __future__ import annotations

import aiohttp

from emulators.kie import RunningEmulator


class TestRoutingErrors:
    async def test_unknown_route_is_a_json_404(self, emulator: RunningEmulator) -> None:
        """GET of a path KIE does not have answers 404 with {code: 404, msg, data: null}."""
        async with aiohttp.ClientSession() as session, session.get(f"{emulator.url}/api/v1/nope") as resp:
            assert resp.status == 404
            assert resp.content_type == "application/json"
            body = await resp.json()
        assert body["code"] == 404 and body["data"] is None and body["msg"]

    async def test_wrong_method_is_a_json_405(self, emulator: RunningEmulator) -> None:
        """GET of createTask (a POST route) answers 405 with KIE's envelope."""
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{emulator.url}/api/v1/jobs/createTask") as resp:
                assert resp.status == 405
                body = await resp.json()
            async with session.post(f"{emulator.url}/api/v1/veo/record-info") as resp:
                assert resp.status == 405
        assert body == {"code": 405, "msg": "Method Not Allowed", "data": None}

    async def test_every_family_route_exists(self, emulator: RunningEmulator) -> None:
        """Each documented family path answers KIE's envelope (401 without a key), never a 404."""
        paths = [
            ("POST", "/api/v1/generate"),
            ("POST", "/api/v1/generate/extend"),
            ("GET", "/api/v1/generate/record-info"),
            ("POST", "/api/v1/veo/generate"),
            ("POST", "/api/v1/veo/extend"),
            ("GET", "/api/v1/veo/get-1080p-video"),
            ("POST", "/api/v1/veo/get-4k-video"),
            ("GET", "/api/v1/veo/record-info"),
            ("POST", "/api/v1/gpt4o-image/generate"),
            ("GET", "/api/v1/gpt4o-image/record-info"),
            ("POST", "/api/v1/gpt4o-image/download-url"),
            ("POST", "/api/v1/flux/kontext/generate"),
            ("GET", "/api/v1/flux/kontext/record-info"),
            ("POST", "/api/v1/mj/generate"),
            ("POST", "/api/v1/mj/generateUpscale"),
            ("POST", "/api/v1/mj/generateVary"),
            ("GET", "/api/v1/mj/record-info"),
            ("POST", "/api/v1/runway/generate"),
            ("POST", "/api/v1/runway/extend"),
            ("GET", "/api/v1/runway/record-detail"),
            ("POST", "/api/v1/aleph/generate"),
            ("GET", "/api/v1/aleph/record-info"),
        ]
        async with aiohttp.ClientSession() as session:
            for method, path in paths:
                async with session.request(method, emulator.url + path) as resp:
                    assert resp.status == 200, path
                    assert (await resp.json())["code"] == 401, path
