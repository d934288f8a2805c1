"""The job tracker with non-Market families: each job goes to its family's API, and settles the same way.

KIE is met by the scripted stand-in of the client tests (tests/shared/kie/stub.py) answering with the bodies
documented for each family (tests/kie/fixtures/); Telegram by its emulator; PostgreSQL and Redis are
real. Today's bug this guards: music (route "suno") was sent to Market createTask and refused.
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
from psycopg_pool import AsyncConnectionPool
from telegram.ext import ExtBot

from emulators.telegram import BotApiState
from emulators.telegram import run_emulator as run_telegram
from services.jobs.finisher import Finisher
from services.jobs.notifier import Notifier
from services.jobs.submitter import Submitter
from shared.catalog import load_registry
from shared.chat.delivery import TelegramSender
from shared.chat.download import Downloader, DownloadPolicy
from shared.chat.presentation import ResultPresenter
from shared.chat.result_links import ResultLinks
from shared.jobs import FailureReason, Job, JobState, JobStore, JobTracking, NewJob
from shared.keys import Keys
from shared.kie import KieClient, RetryPolicy
from shared.ledger import Ledger, MovementKind
from shared.telegram.limits import RedisRateLimiter, TelegramLimits
from tests.conftest import free_port
from tests.emulators.images import png
from tests.kie.fixtures import documented
from tests.services.jobs.test_tracker import LINK_BASE, LINK_KEY
from tests.shared.kie.stub import KieStub, Reply
from tests.shared.kie.test_families import CASES, FAILED, FLAG_FAILED, Case

TOKEN = "123456:family-tests-token"
SUNO_PARAMS = {"customMode": True, "instrumental": False, "prompt": "la la", "style": "pop", "title": "Song"}

EMULATOR_DOWNLOADS = DownloadPolicy(max_bytes=50 * 1024 * 1024, trusted_hosts=frozenset({"127.0.0.1"}))


def fixture(family: str, name: str) -> dict[str, Any]:
    """A documented body of the golden fixtures."""
    return documented(family, name)


@dataclass
class Rig:
    """A submitter and finisher wired to the KIE stand-in and the Telegram emulator."""

    kie: KieStub
    telegram: BotApiState
    store: JobStore
    submitter: Submitter
    finisher: Finisher
    ledger: Ledger
    user_id: int

    async def job(self, model_id: str, params: dict[str, Any], price: int = 12) -> Job:
        new = NewJob(self.user_id, self.user_id, model_id, params, price, 600, 120)
        return (await self.store.create_job(new)).job

    async def reload(self, job: Job) -> Job:
        found = await self.store.get(job.id)
        assert found is not None
        return found


@pytest.fixture(name="rig")
async def _rig(
    private_database_url: str, redis_client: aioredis.Redis, key_prefix: str
) -> AsyncIterator[Rig]:
    pool = AsyncConnectionPool(private_database_url, max_size=6, open=False, kwargs={"autocommit": True})
    await pool.open()
    stub = KieStub(free_port())
    await stub.start()
    telegram = BotApiState([TOKEN])
    user = telegram.create_user("Bo", language_code="en", user_id=random.randrange(10**9, 2 * 10**9))
    registry = load_registry()
    async with (
        run_telegram(telegram, port=free_port()) as tg_emulator,
        aiohttp.ClientSession() as session,
        KieClient(
            api_base_url=stub.url,
            upload_base_url=stub.url,
            api_key="family-key",
            session=session,
            retry_policy=RetryPolicy(max_attempts=1),
        ) as kie,
    ):
        bot: ExtBot[None] = ExtBot(
            TOKEN,
            base_url=f"{tg_emulator.url}/bot",
            base_file_url=f"{tg_emulator.url}/file/bot",
            rate_limiter=RedisRateLimiter(
                redis_client, Keys(key_prefix), TelegramLimits(per_chat_second=100)
            ),
        )
        await bot.initialize()
        store, tracking, downloader = (
            JobStore(pool),
            JobTracking(pool, callback_grace_seconds=0),
            Downloader(session, EMULATOR_DOWNLOADS),
        )
        notifier = Notifier(
            tracking,
            downloader,
            TelegramSender(bot),
            ResultPresenter(registry),
            ResultLinks(LINK_KEY, LINK_BASE),
        )
        finisher = Finisher(store, kie, downloader, notifier, routes=registry.route_of)
        submitter = Submitter(
            tracking,
            kie,
            finisher,
            public_base_url="http://127.0.0.1:1",
            token_key=b"k",
            concurrency=2,
            poll_seconds=0.05,
            routes=registry.route_of,
        )
        ledger = Ledger(pool)
        await ledger.ensure_user(user.id, language="en")
        await ledger.grant(user.id, 100, MovementKind.GRANT, "start", f"start:{user.id}:{random.random()}")
        yield Rig(stub, telegram, store, submitter, finisher, ledger, user.id)
        await bot.shutdown()
    await stub.stop()
    await pool.close()


class TestSunoJobs:
    """A music job takes Suno's own API from submission to delivery or refund."""

    async def test_music_is_submitted_to_suno_generate(self, rig: Rig) -> None:
        """The job's body goes to /api/v1/generate with its model and callback URL; never to createTask."""
        rig.kie.script("/api/v1/generate", Reply(fixture("suno", "create_response")))
        job = await rig.job("V5", SUNO_PARAMS)
        assert await rig.submitter.submit_ready() == 1
        [sent] = rig.kie.hits("/api/v1/generate")
        body = sent.json()
        assert body["model"] == "V5" and body["title"] == "Song" and body["customMode"] is True
        assert f"/kie/callback/{job.id}?t=" in body["callBackUrl"]
        assert rig.kie.hits("/api/v1/jobs/createTask") == []
        submitted = await rig.reload(job)
        assert submitted.state is JobState.SUBMITTED and submitted.kie_task_id == "5c79****be8e"

    async def test_first_track_waits_and_complete_delivers_audio(self, rig: Rig) -> None:
        """FIRST_SUCCESS settles nothing; SUCCESS downloads the track, sends it as audio and captures."""
        record = fixture("suno", "record_success")
        audio_url = f"{rig.kie.url}/files/track.mp3"
        record["data"]["response"]["sunoData"][0]["audioUrl"] = audio_url
        record["data"]["response"]["sunoData"][0]["imageUrl"] = f"{rig.kie.url}/files/cover.png"
        first = {**record, "data": {**record["data"], "status": "FIRST_SUCCESS"}}
        rig.kie.script("/api/v1/generate", Reply(fixture("suno", "create_response")))
        rig.kie.script("/api/v1/generate/record-info", Reply(first), Reply(record))
        rig.kie.script("/files/track.mp3", Reply(raw=b"ID3" + b"\0" * 512, content_type="audio/mpeg"))
        rig.kie.script("/files/cover.png", Reply(raw=png(64, 64), content_type="image/png"))
        job = await rig.job("V5", SUNO_PARAMS)
        await rig.submitter.submit_ready()
        assert not await rig.finisher.confirm(await rig.reload(job))
        assert await rig.finisher.confirm(await rig.reload(job))
        done = await rig.reload(job)
        assert done.state is JobState.SUCCEEDED
        [reply] = rig.telegram.bot_replies(rig.user_id)
        assert (
            "audio" in reply.content and reply.content["audio"]["title"] == "\u94a2\u94c1\u4fa0"
        )  # the doc example's title
        assert reply.content["audio"]["thumbnail"]["width"] == 64  # the track's cover
        assert await rig.ledger.balance(rig.user_id) == 88

    async def test_refused_lyrics_are_refunded(self, rig: Rig) -> None:
        """SENSITIVE_WORD_ERROR refunds the job as refused and tells the user."""
        record = fixture("suno", "record_success")
        failed = {**record, "data": {**record["data"], "status": "SENSITIVE_WORD_ERROR", "response": None}}
        rig.kie.script("/api/v1/generate", Reply(fixture("suno", "create_response")))
        rig.kie.script("/api/v1/generate/record-info", Reply(failed))
        job = await rig.job("V5", SUNO_PARAMS)
        await rig.submitter.submit_ready()
        assert await rig.finisher.confirm(await rig.reload(job))
        settled = await rig.reload(job)
        assert settled.state is JobState.FAILED and settled.error_code is FailureReason.REFUSED
        assert await rig.ledger.balance(rig.user_id) == 100
        assert len(rig.telegram.bot_replies(rig.user_id)) == 1


KINDS = {
    "suno": ("audio/mpeg", "audio"),
    "veo": ("video/mp4", "video"),
    "4o-image": ("image/png", "photo"),
    "flux-kontext": ("image/jpeg", "photo"),
    "midjourney": ("image/jpeg", "photo"),
    "runway": ("video/mp4", "video"),
    "aleph": ("video/mp4", "video"),
}
FAMILY_CASES = [case for case in CASES if case.route in KINDS]


@pytest.mark.parametrize("case", FAMILY_CASES, ids=[case.route for case in FAMILY_CASES])
class TestEveryFamily:
    """Submit, confirm, deliver and settle are the same for every family; only the KIE paths differ."""

    async def test_success_is_delivered_and_captured(self, rig: Rig, case: Case) -> None:
        """The documented create and record answers lead to the results sent as their media kind."""
        content_type, kind = KINDS[case.route]
        record = json.dumps(case.load("record_success"))
        for number, url in enumerate(case.urls):  # the documented result URLs, served by the stand-in
            record = record.replace(json.dumps(url)[1:-1], f"{rig.kie.url}/files/{number}")
            rig.kie.script(f"/files/{number}", Reply(raw=b"\0" * 256, content_type=content_type))
        rig.kie.script(case.paths[0], Reply(case.load("create_response")))
        rig.kie.script(case.paths[1], Reply(json.loads(record)))
        job = await rig.job(case.model, case.params())
        await rig.submitter.submit_ready()
        assert rig.kie.hits(case.paths[0]) and rig.kie.hits("/api/v1/jobs/createTask") == []
        assert await rig.finisher.confirm(await rig.reload(job))
        assert (await rig.reload(job)).state is JobState.SUCCEEDED
        replies = rig.telegram.bot_replies(rig.user_id)
        assert any(kind in reply.content for reply in replies)
        assert len(rig.kie.hits("/files/0")) == 1 and await rig.ledger.balance(rig.user_id) == 100 - 12

    async def test_failure_is_refunded_once(self, rig: Rig, case: Case) -> None:
        """The family's documented failure refunds the hold and tells the user once."""
        data = {**case.load("record_success")["data"], **FAILED.get(case.route, FLAG_FAILED)}
        rig.kie.script(case.paths[0], Reply(case.load("create_response")))
        rig.kie.script(case.paths[1], Reply({"code": 200, "msg": "success", "data": data}))
        job = await rig.job(case.model, case.params())
        await rig.submitter.submit_ready()
        assert await rig.finisher.confirm(await rig.reload(job))
        assert await rig.finisher.confirm(await rig.reload(job))  # a duplicate changes nothing
        settled = await rig.reload(job)
        assert settled.state is JobState.FAILED and settled.error_code is FailureReason.REFUSED
        assert await rig.ledger.balance(rig.user_id) == 100
        assert len(rig.telegram.bot_replies(rig.user_id)) == 1
