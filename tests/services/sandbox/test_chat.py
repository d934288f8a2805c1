"""The web chat's JSON API over a real Bot API emulator state and the real ledger in PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from psycopg_pool import AsyncConnectionPool

from emulators.telegram import BotApiState
from services.sandbox.app import run_chat
from services.sandbox.chat import ChatApi
from services.sandbox.status import StatusReader
from services.sandbox.users import build_roster, register_users
from shared.ledger import Ledger, MovementKind
from tests.conftest import free_port
from tests.emulators.images import png

ADA = 100001


class Chat:
    """The chat app on a free port and an HTTP client for it."""

    def __init__(self, state: BotApiState, http: aiohttp.ClientSession, url: str, pool: AsyncConnectionPool):
        self.state, self.http, self.url, self.pool = state, http, url, pool

    async def get(self, path: str) -> Any:
        async with self.http.get(f"{self.url}{path}") as response:
            return await response.json()

    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        async with self.http.post(f"{self.url}{path}", json=body) as response:
            return response.status, await response.json()


@pytest.fixture(name="chat")
async def _chat(private_database_url: str) -> AsyncIterator[Chat]:
    database_url = private_database_url
    state = BotApiState(["1:T"])
    roster = build_roster(frozenset({ADA}))
    register_users(state, roster)
    port = free_port()
    async with (
        AsyncConnectionPool(database_url, open=False, kwargs={"autocommit": True}) as pool,
        aiohttp.ClientSession() as http,
    ):
        status = StatusReader(pool, http, f"http://127.0.0.1:{free_port()}/health")
        api = ChatApi(state, roster, status, asyncio.Event(), {"telegram": "http://x"})
        async with run_chat(api, "127.0.0.1", port):
            yield Chat(state, http, f"http://127.0.0.1:{port}", pool)


class TestChatApi:
    async def test_sent_text_reaches_the_bot_and_shows_in_the_chat(self, chat: Chat) -> None:
        """/api/send makes an update for the bot and the message is in /api/chats."""
        status, _ = await chat.post("/api/send", {"user_id": ADA, "text": "/start"})
        assert status == 200
        assert [u.payload["text"] for u in chat.state.bot().updates] == ["/start"]
        view = await chat.get(f"/api/chats/{ADA}")
        assert view["messages"][0]["html"].startswith('<span class="command" data-command="/start">')

    async def test_inline_query_lists_results_and_the_choice_posts_via_the_bot(self, chat: Chat) -> None:
        """/api/inline asks the bot; once it answered, /api/inline/choose sends the result into the chat."""
        status, asked = await chat.post("/api/inline", {"user_id": ADA, "query": "a cat"})
        assert status == 200
        assert (await chat.get(f"/api/inline/{asked['query_id']}"))["answered"] is False
        keyboard = {"inline_keyboard": [[{"text": "Generate", "callback_data": "il:x"}]]}
        result = {
            "type": "article",
            "id": "r1",
            "title": "A cat · 8 credits",
            "description": "a cat",
            "input_message_content": {"message_text": "A cat, soon"},
            "reply_markup": keyboard,
        }
        chat.state.bot().inline_queries[asked["query_id"]].answer = {"results": [result], "button": None}
        listed = await chat.get(f"/api/inline/{asked['query_id']}")
        assert listed["results"] == [{"id": "r1", "title": "A cat · 8 credits", "description": "a cat"}]
        body = {"user_id": ADA, "query_id": asked["query_id"], "result_id": "r1"}
        status, chosen = await chat.post("/api/inline/choose", body)
        assert status == 200
        [shown] = (await chat.get(f"/api/chats/{ADA}"))["messages"]
        assert shown["id"] == chosen["message_id"] and shown["via_bot"] == chat.state.bot().user.username
        assert shown["inline_keyboard"][0][0]["callback_data"] == "il:x" and not shown["from_bot"]
        status, _ = await chat.post(
            "/api/press", {"user_id": ADA, "message_id": shown["id"], "callback_data": "il:x"}
        )
        assert status == 200
        [press] = chat.state.bot().callback_queries.values()
        assert press.inline_message_id is not None

    async def test_changes_long_poll_wakes_on_an_action(self, chat: Chat) -> None:
        """A waiting /api/changes answers as soon as something happens."""
        generation = (await chat.get("/api/changes?after=-1"))["generation"]
        waiting = asyncio.create_task(chat.get(f"/api/changes?after={generation}"))
        await asyncio.sleep(0.2)
        assert not waiting.done()
        await chat.post("/api/send", {"user_id": ADA, "text": "hello"})
        async with asyncio.timeout(5):
            assert (await waiting)["generation"] > generation

    async def test_a_photo_upload_is_a_photo_message_with_its_file(self, chat: Chat) -> None:
        """Multipart upload → photo message; its file is served back."""
        form = aiohttp.FormData()
        form.add_field("user_id", str(ADA))
        form.add_field("photo", png(8, 8), filename="cat.png", content_type="image/png")
        async with chat.http.post(f"{chat.url}/api/photo", data=form) as response:
            assert response.status == 200
        media = (await chat.get(f"/api/chats/{ADA}"))["messages"][0]["media"]
        assert media[0]["kind"] == "photo"
        async with chat.http.get(f"{chat.url}{media[0]['url']}") as response:
            assert (await response.read()).startswith(b"\x89PNG")

    async def test_only_pictures_clips_and_sounds_are_shown_inline(self, chat: Chat) -> None:
        """An uploaded page or SVG comes back as a download that cannot run script on the chat's origin."""
        page = chat.state.files.put(b"<script>alert(1)</script>", "document", mime_type="text/html")
        svg = chat.state.files.put(b"<svg onload='alert(1)'/>", "document", mime_type="image/svg+xml")
        picture = chat.state.files.put(png(4, 4), "photo", mime_type="image/png")
        for stored, inline in ((page, False), (svg, False), (picture, True)):
            async with chat.http.get(f"{chat.url}/api/files/{stored.file_id}") as response:
                assert response.headers["X-Content-Type-Options"] == "nosniff"
                assert "sandbox" in response.headers["Content-Security-Policy"]
                if inline:
                    assert response.content_type == "image/png"
                else:
                    assert response.content_type == "application/octet-stream"
                    assert response.headers["Content-Disposition"] == "attachment"

    async def test_other_sites_and_rebound_names_are_refused(self, chat: Chat) -> None:
        """A POST from another origin, or any request under another Host name, is 403 and changes nothing."""
        body = {"user_id": ADA, "text": "/start"}
        foreign = {"Origin": "http://evil.example"}
        async with chat.http.post(f"{chat.url}/api/send", json=body, headers=foreign) as response:
            assert response.status == 403 and "evil.example" in (await response.json())["error"]
        async with chat.http.get(
            f"{chat.url}/api/config", headers={"Host": "rebound.example:80"}
        ) as response:
            assert response.status == 403
        assert (await chat.get(f"/api/chats/{ADA}"))["messages"] == []
        own = {"Origin": chat.url}
        async with chat.http.post(f"{chat.url}/api/send", json=body, headers=own) as response:
            assert response.status == 200

    async def test_refusals_are_400_with_the_reason(self, chat: Chat) -> None:
        """Pressing a button on a message that does not exist answers 400 and says why."""
        status, body = await chat.post("/api/press", {"user_id": ADA, "message_id": 99, "callback_data": "x"})
        assert status == 400 and "no bot message 99" in body["error"]

    async def test_status_reads_the_ledger_and_reports_a_silent_health(self, chat: Chat) -> None:
        """The balance is the ledger's; /health not answering is an error text, not a failure."""
        ledger = Ledger(chat.pool)
        await ledger.ensure_user(ADA, language="en")
        await ledger.grant(ADA, 70, MovementKind.GRANT, "test", key=f"sandbox-test:{ADA}")
        status = await chat.get(f"/api/status/{ADA}")
        assert status["balance"] == 70
        assert "does not answer" in status["health"]["error"]

    async def test_config_lists_users_with_the_admin(self, chat: Chat) -> None:
        """The page learns the users and which is the admin."""
        config = await chat.get("/api/config")
        assert [u["id"] for u in config["users"] if u["admin"]] == [ADA]
