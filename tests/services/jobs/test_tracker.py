"""The job tracker against the KIE and Bot API emulators in process, with real PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
from psycopg_pool import AsyncConnectionPool
from telegram.ext import ExtBot

from emulators.kie import ApiFault, CallbackPolicy, EmulatorClock, EmulatorConfig, FaultKind, KieState
from emulators.kie import run_emulator as run_kie
from emulators.telegram import BotApiState
from emulators.telegram import run_emulator as run_telegram
from services.jobs.callbacks import CallbackConsumer
from services.jobs.finisher import Finisher, failure_reason
from services.jobs.notifier import Notifier
from services.jobs.poller import OverduePoller
from services.jobs.submitter import Submitter
from shared import streams
from shared.backoff import Backoff
from shared.catalog import load_registry
from shared.chat.delivery import TelegramSender
from shared.chat.download import Downloader, DownloadPolicy
from shared.chat.file_ids import FileIdCache
from shared.chat.inline_delivery import InlineEditor
from shared.chat.presentation import ResultPresenter
from shared.chat.result_links import ResultLinks
from shared.jobs import CallbackEntry, FailureReason, Job, JobState, JobStore, JobTracking, NewJob
from shared.keys import Keys
from shared.kie import KieClient, RetryPolicy
from shared.ledger import Ledger, MovementKind
from shared.ops.alerts import AlertKind, AlertLog
from shared.streams.consumer import ConsumerConfig
from shared.telegram.limits import RedisRateLimiter, TelegramLimits
from tests.conftest import free_port

TOKEN = "123456:tracker-tests-token"
KIE_KEY = "tracker-key"
PARAMS = {"prompt": "a red fox", "aspect_ratio": "1:1"}
CALLBACK_CONFIG = ConsumerConfig(
    concurrency=4,
    block_ms=100,
    claim_idle_ms=1000,
    max_attempts=3,
    retry_backoff=Backoff(base=0.01, cap=0.05),
)

EMULATOR_DOWNLOADS = DownloadPolicy(max_bytes=50 * 1024 * 1024, trusted_hosts=frozenset({"127.0.0.1"}))


LINK_KEY = b"result-link-test-key"
LINK_BASE = "http://127.0.0.1:1"


@dataclass
class Rig:
    """Everything the tracker is built from, wired to the emulators."""

    pool: AsyncConnectionPool
    kie_state: KieState
    telegram: BotApiState
    store: JobStore
    tracking: JobTracking
    finisher: Finisher
    submitter: Submitter
    poller: OverduePoller
    consumer: CallbackConsumer
    redis: aioredis.Redis
    keys: Keys
    user_id: int
    ledger: Ledger

    async def new_job(
        self,
        price: int = 5,
        time_limit: int = 60,
        inline_message_id: str | None = None,
        own_chat: bool = False,
    ) -> Job:
        new = NewJob(
            self.user_id,
            self.user_id,
            "z-image",
            PARAMS,
            price,
            time_limit,
            10,
            inline_message_id=inline_message_id,
            inline_own_chat=own_chat,
        )
        return (await self.store.create_job(new)).job

    async def job(self, job_id: uuid.UUID) -> Job:
        job = await self.store.get(job_id)
        assert job is not None
        return job

    def replies(self) -> list[Any]:
        return self.telegram.bot_replies(self.user_id)


@pytest.fixture(name="tracker_pool")
async def _tracker_pool(private_database_url: str) -> AsyncIterator[AsyncConnectionPool]:
    """A database of the tracker tests' own: the outbox must hold only the jobs a test creates."""
    pool = AsyncConnectionPool(private_database_url, max_size=10, open=False, kwargs={"autocommit": True})
    await pool.open()
    yield pool
    await pool.close()


@pytest.fixture(name="download_policy")
def _download_policy() -> DownloadPolicy:
    """What the rig's downloader may fetch; a test class overrides it to meet hostile results."""
    return EMULATOR_DOWNLOADS


@pytest.fixture(name="rig")
async def _rig(
    tracker_pool: AsyncConnectionPool,
    redis_client: aioredis.Redis,
    key_prefix: str,
    download_policy: DownloadPolicy,
) -> AsyncIterator[Rig]:
    pool = tracker_pool
    config = EmulatorConfig(api_keys={KIE_KEY: 1e6}, callbacks=CallbackPolicy(retry_delays=()))
    kie_state = KieState(config, clock=EmulatorClock(frozen=True))
    telegram = BotApiState([TOKEN])
    user = telegram.create_user("Ann", language_code="en", user_id=random.randrange(10**9, 2 * 10**9))
    keys = Keys(key_prefix)
    async with (
        run_kie(kie_state, port=free_port()) as kie_emulator,
        run_telegram(telegram, port=free_port()) as tg_emulator,
        aiohttp.ClientSession() as session,
        KieClient(
            api_base_url=kie_emulator.url,
            upload_base_url=kie_emulator.upload_url,
            api_key=KIE_KEY,
            session=session,
            retry_policy=RetryPolicy(max_attempts=2, base_delay=0.01),
        ) as kie,
    ):
        bot: ExtBot[None] = ExtBot(
            TOKEN,
            base_url=f"{tg_emulator.url}/bot",
            base_file_url=f"{tg_emulator.url}/file/bot",
            rate_limiter=RedisRateLimiter(redis_client, keys, TelegramLimits(per_chat_second=100)),
        )
        await bot.initialize()
        store, tracking = JobStore(pool), JobTracking(pool, callback_grace_seconds=0)
        downloader = Downloader(session, download_policy)
        registry = load_registry()
        file_ids = FileIdCache(redis_client, keys)
        sender = TelegramSender(bot, file_ids)
        notifier = Notifier(
            tracking,
            downloader,
            sender,
            ResultPresenter(registry),
            ResultLinks(LINK_KEY, LINK_BASE),
            InlineEditor(bot, sender, file_ids),
        )
        finisher = Finisher(store, kie, downloader, notifier, routes=registry.route_of)
        submitter = Submitter(
            tracking,
            kie,
            finisher,
            public_base_url="http://127.0.0.1:1",
            token_key=b"k",
            concurrency=4,
            poll_seconds=0.05,
            routes=registry.route_of,
        )
        poller = OverduePoller(tracking, finisher, notifier, interval_seconds=0.05)
        consumer = CallbackConsumer(
            redis_client, keys, "host/test", store, tracking, finisher, config=CALLBACK_CONFIG
        )
        ledger = Ledger(pool)
        await ledger.ensure_user(user.id, language="en")
        await ledger.grant(user.id, 100, MovementKind.GRANT, "start", f"start:{user.id}:{random.random()}")
        yield Rig(
            pool,
            kie_state,
            telegram,
            store,
            tracking,
            finisher,
            submitter,
            poller,
            consumer,
            redis_client,
            keys,
            user.id,
            ledger,
        )
        await bot.shutdown()


async def _task_of(rig: Rig, job_id: uuid.UUID) -> str:
    job = await rig.job(job_id)
    assert job.kie_task_id is not None
    return job.kie_task_id


async def _make_overdue(rig: Rig, job_id: uuid.UUID) -> None:
    async with rig.pool.connection() as conn:
        await conn.execute("UPDATE jobs SET next_poll_at = now() WHERE id = %s", (job_id,))


class TestResultAtAForbiddenAddress:
    @pytest.fixture(name="download_policy")
    def _no_trusted_hosts(self) -> DownloadPolicy:
        """The emulator's 127.0.0.1 is not a configured host here: its results are not public."""
        return DownloadPolicy(max_bytes=EMULATOR_DOWNLOADS.max_bytes, trusted_hosts=frozenset())

    async def test_is_refunded_once_and_never_retried(self, rig: Rig) -> None:
        """A result on a loopback address: refunded as unavailable, the user told, settled for good."""
        job = await rig.new_job()
        await rig.submitter.submit_ready()
        rig.kie_state.complete_task(await _task_of(rig, job.id))
        assert await rig.finisher.confirm(await rig.job(job.id))
        done = await rig.job(job.id)
        assert done.state is JobState.FAILED and done.error_code is FailureReason.RESULT_UNAVAILABLE
        assert await rig.ledger.balance(rig.user_id) == 100
        assert await rig.finisher.confirm(done)
        assert await rig.ledger.balance(rig.user_id) == 100
        assert len(rig.replies()) == 1


class TestResultPastTheByteCap:
    @pytest.fixture(name="download_policy")
    def _tiny_cap(self) -> DownloadPolicy:
        return DownloadPolicy(max_bytes=16, trusted_hosts=EMULATOR_DOWNLOADS.trusted_hosts)

    async def test_goes_to_the_user_as_its_link(self, rig: Rig) -> None:
        """A result larger than the cap is not read past it; the user gets its link and pays."""
        job = await rig.new_job()
        await rig.submitter.submit_ready()
        rig.kie_state.complete_task(await _task_of(rig, job.id))
        assert await rig.finisher.confirm(await rig.job(job.id))
        done = await rig.job(job.id)
        assert done.state is JobState.SUCCEEDED
        [reply] = rig.replies()
        link = next(word for word in (reply.text or "").split() if "/results/" in word)
        token = link.rsplit("/", 1)[1]
        assert ResultLinks(LINK_KEY, LINK_BASE).resolve(token, datetime.now(UTC)) == done.result_urls[0]
        assert await rig.ledger.balance(rig.user_id) == 95


class TestSubmit:
    async def test_submit_records_task_and_callback_url(self, rig: Rig) -> None:
        """A queued job is submitted once with a callback URL naming the job and its token."""
        job = await rig.new_job()
        assert await rig.submitter.submit_ready() == 1
        submitted = await rig.job(job.id)
        assert submitted.state is JobState.SUBMITTED and submitted.kie_task_id
        task = rig.kie_state.tasks.get(submitted.kie_task_id)
        assert f"/kie/callback/{job.id}?t=" in (task.callback_url or "")
        assert await rig.submitter.submit_ready() == 0

    async def test_rejected_input_is_refunded_with_a_message(self, rig: Rig) -> None:
        """KIE's 422 refunds the job as bad input and tells the user in plain words."""
        new = NewJob(rig.user_id, rig.user_id, "z-image", {"aspect_ratio": "1:1"}, 5, 60, 10)
        job = (await rig.store.create_job(new)).job
        await rig.submitter.submit_ready()
        failed = await rig.job(job.id)
        assert failed.state is JobState.FAILED and failed.error_code is FailureReason.BAD_INPUT
        assert await rig.ledger.balance(rig.user_id) == 100
        [reply] = rig.replies()
        assert "did not accept these settings" in (reply.text or "")

    async def test_rate_limited_submit_is_requeued(self, rig: Rig) -> None:
        """429 beyond the client's retries puts the job back in the queue, nothing created."""
        rig.kie_state.faults.add(ApiFault("createTask", FaultKind.RATE_LIMITED, count=5))
        job = await rig.new_job()
        await rig.submitter.submit_ready()
        assert (await rig.job(job.id)).state is JobState.QUEUED

    async def test_unknown_outcome_is_never_resubmitted(self, rig: Rig) -> None:
        """A 500 after the task was stored leaves the job submitting; it is not sent again."""
        rig.kie_state.faults.add(ApiFault("createTask", FaultKind.SERVER_ERROR, after_create=True))
        job = await rig.new_job()
        await rig.submitter.submit_ready()
        assert (await rig.job(job.id)).state is JobState.SUBMITTING
        assert await rig.submitter.submit_ready() == 0
        assert len(rig.kie_state.tasks.running()) == 1


class TestSettle:
    async def test_success_delivers_photo_and_captures(self, rig: Rig) -> None:
        """A confirmed success sends the image as a photo and keeps the price spent."""
        job = await rig.new_job()
        await rig.submitter.submit_ready()
        rig.kie_state.complete_task(await _task_of(rig, job.id))
        assert await rig.finisher.confirm(await rig.job(job.id))
        done = await rig.job(job.id)
        assert done.state is JobState.SUCCEEDED and done.delivered_at is not None
        [reply] = rig.replies()
        assert "photo" in reply.content
        assert await rig.ledger.balance(rig.user_id) == 95

    async def test_duplicates_change_nothing(self, rig: Rig) -> None:
        """Confirming a settled job again sends nothing and moves no credits."""
        job = await rig.new_job()
        await rig.submitter.submit_ready()
        rig.kie_state.complete_task(await _task_of(rig, job.id))
        running = await rig.job(job.id)
        results = await asyncio.gather(*(rig.finisher.confirm(running) for _ in range(3)))
        assert all(results)
        assert await rig.finisher.confirm(await rig.job(job.id))
        assert len(rig.replies()) == 1
        assert await rig.ledger.balance(rig.user_id) == 95

    async def test_failure_refunds_and_explains(self, rig: Rig) -> None:
        """A failed task refunds once and the user reads why."""
        job = await rig.new_job()
        await rig.submitter.submit_ready()
        rig.kie_state.fail_task(await _task_of(rig, job.id), "400", "prompt violates policy")
        await rig.finisher.confirm(await rig.job(job.id))
        failed = await rig.job(job.id)
        assert failed.state is JobState.FAILED and failed.error_code is FailureReason.REFUSED
        assert "refused" in (rig.replies()[0].text or "")
        assert await rig.ledger.balance(rig.user_id) == 100
        keyboard = rig.replies()[0].reply_markup["inline_keyboard"]
        actions = [button["callback_data"] for row in keyboard for button in row]
        assert [a.rsplit(":", 1)[-1] for a in actions] == ["r", "e", "mm"]  # Again, Change settings, Menu

    async def test_unreachable_input_is_not_called_a_refusal(self, rig: Rig) -> None:
        """KIE's 451 (could not fetch the input file) asks for the file again, not for a new prompt."""
        job = await rig.new_job()
        await rig.submitter.submit_ready()
        rig.kie_state.fail_task(await _task_of(rig, job.id), "451", "Failed to fetch the image")
        await rig.finisher.confirm(await rig.job(job.id))
        failed = await rig.job(job.id)
        assert failed.error_code is FailureReason.INPUT_UNREACHABLE
        assert "could not download the file" in (rig.replies()[0].text or "")

    def test_fail_codes_map_to_plain_reasons(self) -> None:
        """KIE fail codes become the reason words the user is given."""
        assert failure_reason("422") is FailureReason.BAD_INPUT
        policy = "Invalid prompt: prompt contains prohibited content"
        assert failure_reason("422", policy) is FailureReason.REFUSED
        assert failure_reason("451") is FailureReason.INPUT_UNREACHABLE
        assert failure_reason("408") is FailureReason.TIMEOUT
        assert failure_reason("455") is FailureReason.UNAVAILABLE
        assert failure_reason("500") is FailureReason.GENERATION_FAILED
        assert failure_reason(None) is FailureReason.GENERATION_FAILED


class TestPollerAndCallbacks:
    async def test_lost_callback_is_found_by_polling(self, rig: Rig) -> None:
        """A job whose callback never came is settled by the overdue poll."""
        job = await rig.new_job()
        await rig.submitter.submit_ready()
        await rig.poller.sweep()
        assert (await rig.job(job.id)).state is JobState.SUBMITTED
        rig.kie_state.complete_task(await _task_of(rig, job.id))
        await _make_overdue(rig, job.id)
        await rig.poller.sweep()
        assert (await rig.job(job.id)).state is JobState.SUCCEEDED
        assert len(rig.replies()) == 1

    async def test_deadline_expires_and_refunds(self, rig: Rig) -> None:
        """A job stuck past its time limit expires, is refunded once and the user is told."""
        job = await rig.new_job()
        async with rig.pool.connection() as conn:
            await conn.execute(
                "UPDATE jobs SET state = 'submitting', deadline = now() WHERE id = %s", (job.id,)
            )
        await rig.poller.sweep()
        await rig.poller.sweep()
        expired = await rig.job(job.id)
        assert expired.state is JobState.EXPIRED and expired.error_code is FailureReason.TIMEOUT
        assert await rig.ledger.balance(rig.user_id) == 100
        assert len(rig.replies()) == 1

    async def test_callback_matches_job_left_submitting(self, rig: Rig) -> None:
        """A callback for a job whose taskId was never recorded is matched by its job id and settled."""
        rig.kie_state.faults.add(ApiFault("createTask", FaultKind.SERVER_ERROR, after_create=True))
        job = await rig.new_job()
        await rig.submitter.submit_ready()
        [task] = rig.kie_state.tasks.running()
        rig.kie_state.complete_task(task.id)
        body = json.dumps({"code": 200, "msg": "ok", "data": {"taskId": task.id, "state": "success"}})
        fields = {"job_id": str(job.id), "task_id": task.id, "body": body, "received_at": "0"}
        await streams.append(rig.redis, rig.keys.kie_callbacks, fields)
        await streams.append(rig.redis, rig.keys.kie_callbacks, fields)
        stop = asyncio.Event()
        running = asyncio.create_task(rig.consumer.run(stop))
        for _ in range(100):
            if (await rig.job(job.id)).notified_at is not None:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await running
        done = await rig.job(job.id)
        assert done.state is JobState.SUCCEEDED and done.kie_task_id == task.id
        assert len(rig.replies()) == 1
        pending = await rig.redis.xpending(rig.keys.kie_callbacks, "jobs")
        assert pending["pending"] == 0


async def _refuse_updates(rig: Rig, job_id: uuid.UUID, refuse: bool) -> None:
    """Make PostgreSQL itself refuse (or allow again) every update of one job row."""
    async with rig.pool.connection() as conn:
        if not refuse:
            await conn.execute("DROP TRIGGER IF EXISTS refuse_job ON jobs")
            return
        await conn.execute(
            "CREATE OR REPLACE FUNCTION refuse_update() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'update refused by the test'; END $$"
        )
        await conn.execute(
            f"CREATE TRIGGER refuse_job BEFORE UPDATE ON jobs FOR EACH ROW "
            f"WHEN (OLD.id = '{job_id}') EXECUTE FUNCTION refuse_update()"
        )


async def _consume_until(rig: Rig, done: Callable[[], Awaitable[bool]], then_s: float) -> None:
    """Run the callback consumer until ``done`` (at most 10 s), then ``then_s`` seconds longer."""
    stop = asyncio.Event()
    running = asyncio.create_task(rig.consumer.run(stop))
    for _ in range(200):
        if await done():
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(then_s)
    stop.set()
    await running


class TestCallbackDeadLetter:
    async def test_always_failing_callback_is_dead_lettered_once_and_settled_by_the_poller(
        self, rig: Rig
    ) -> None:
        """A callback whose handling always fails stops after the limit: one dead letter, one alert."""
        job = await rig.new_job()
        await rig.submitter.submit_ready()
        task_id = await _task_of(rig, job.id)
        rig.kie_state.complete_task(task_id)
        await _refuse_updates(rig, job.id, refuse=True)
        entry = CallbackEntry("", job.id, task_id, "{}", 0.0)
        await streams.append(rig.redis, rig.keys.kie_callbacks, entry.to_fields())

        async def dead_lettered() -> bool:
            return int(await rig.redis.xlen(rig.keys.kie_callbacks_dead)) > 0

        # Longer than two claim periods after the dead letter: a retry would have happened by then.
        await _consume_until(rig, dead_lettered, then_s=2.5)
        [(_, dead)] = await rig.redis.xrange(rig.keys.kie_callbacks_dead)
        assert dead[b"job_id"] == str(job.id).encode() and b"failed 3 times" in dead[b"reason"]
        alerts = [
            a for a in await AlertLog(rig.redis, rig.keys).recent() if a.kind is AlertKind.DEAD_LETTERED
        ]
        assert len(alerts) == 1 and str(job.id) not in alerts[0].summary()
        confirms = [c for c in rig.kie_state.calls if c.endpoint == "recordInfo" and c.task_id == task_id]
        assert len(confirms) == CALLBACK_CONFIG.max_attempts
        assert (await rig.redis.xpending(rig.keys.kie_callbacks, "jobs"))["pending"] == 0
        assert (await rig.job(job.id)).state is JobState.SUBMITTED
        assert await rig.ledger.balance(rig.user_id) == 95 and rig.replies() == []

        await _refuse_updates(rig, job.id, refuse=False)
        await _make_overdue(rig, job.id)
        await rig.poller.sweep()
        assert (await rig.job(job.id)).state is JobState.SUCCEEDED
        assert len(rig.replies()) == 1 and await rig.ledger.balance(rig.user_id) == 95

    async def test_malformed_callback_is_dead_lettered_at_once(self, rig: Rig) -> None:
        """An entry that cannot be decoded is never handled: dead-lettered and acknowledged."""
        await streams.append(rig.redis, rig.keys.kie_callbacks, {"job_id": "not-a-uuid", "task_id": "t"})

        async def dead_lettered() -> bool:
            return int(await rig.redis.xlen(rig.keys.kie_callbacks_dead)) > 0

        await _consume_until(rig, dead_lettered, then_s=0.2)
        [(_, dead)] = await rig.redis.xrange(rig.keys.kie_callbacks_dead)
        assert dead[b"reason"] == b"undecodable (ValueError)"
        assert (await rig.redis.xpending(rig.keys.kie_callbacks, "jobs"))["pending"] == 0
