"""Progress messages edited in place (queued → generating → outcome) and the shaped result caption."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis.asyncio as aioredis
from psycopg_pool import AsyncConnectionPool
from telegram.ext import ExtBot

from emulators.telegram import BotApiState
from emulators.telegram import run_emulator as run_telegram
from services.jobs.progress import ProgressReporter, elapsed_text
from shared.catalog import Registry, load_registry
from shared.chat.delivery import Media, TelegramSender
from shared.chat.file_ids import FileIdCache
from shared.chat.presentation import ResultPresenter
from shared.chat.texts import Language, Texts
from shared.jobs import FailureReason, JobStore, NewJob
from shared.keys import Keys
from shared.ledger import Ledger, MovementKind
from shared.telegram.limits import RedisRateLimiter, TelegramLimits
from tests.conftest import free_port
from tests.emulators.images import png

TOKEN = "424242:progress-tests-token-AAAAAAAAAAAAAAAAAAAA"


@dataclass
class ProgressRig:
    telegram: BotApiState
    reporter: ProgressReporter
    store: JobStore
    pool: AsyncConnectionPool
    user_id: int
    bot: ExtBot[None]
    registry: Registry


@pytest.fixture(name="progress_rig")
async def _progress_rig(
    pool: AsyncConnectionPool, redis_client: aioredis.Redis, key_prefix: str
) -> AsyncIterator[ProgressRig]:
    telegram = BotApiState([TOKEN])
    user = telegram.create_user("Ann", language_code="en", user_id=random.randrange(5 * 10**9, 6 * 10**9))
    registry = load_registry()
    keys = Keys(key_prefix)
    async with run_telegram(telegram, port=free_port()) as emulator:
        bot: ExtBot[None] = ExtBot(
            TOKEN,
            base_url=f"{emulator.url}/bot",
            rate_limiter=RedisRateLimiter(redis_client, keys, TelegramLimits(per_chat_second=100)),
        )
        await bot.initialize()
        ledger = Ledger(pool)
        await ledger.ensure_user(user.id, language="en")
        await ledger.grant(user.id, 100, MovementKind.GRANT, "start", f"progress:{user.id}")
        reporter = ProgressReporter(pool, bot, redis_client, keys, registry, interval_seconds=0.05)
        yield ProgressRig(telegram, reporter, JobStore(pool), pool, user.id, bot, registry)
        await bot.shutdown()


async def start_job(rig: ProgressRig) -> tuple[int, NewJob]:
    message = await rig.bot.send_message(rig.user_id, "starting")
    new = NewJob.for_model(
        rig.registry,
        user_id=rig.user_id,
        chat_id=rig.user_id,
        model_id="z-image",
        params={"prompt": "a fox", "aspect_ratio": "1:1"},
        progress_message_id=message.message_id,
    )
    await rig.store.create_job(new)
    return message.message_id, new


def own_edits(rig: ProgressRig, message_id: int) -> int:
    """Edits of this test's progress message (other tests' jobs share the database)."""
    calls = rig.telegram.calls_of("editMessageText")
    return sum(
        1
        for call in calls
        if (str(call.params.get("chat_id")), str(call.params.get("message_id")))
        == (str(rig.user_id), str(message_id))
    )


class TestProgressReporter:
    async def test_queued_then_generating_then_final_without_buttons(self, progress_rig: ProgressRig) -> None:
        """The one progress message moves queued → generating (with chat action) → its outcome, once."""
        rig = progress_rig
        message_id, new = await start_job(rig)
        texts = Texts()
        await rig.reporter.tick()
        message = rig.telegram.bot(None).message(rig.user_id, message_id)
        assert message is not None and "queue" in (message.text or "")
        assert message.reply_markup is not None
        async with rig.pool.connection() as conn:
            await conn.execute(
                "UPDATE jobs SET state = 'submitted', submitted_at = now() WHERE id = %s", (new.job_id,)
            )
        await rig.reporter.tick()
        assert "generating" in (message.text or "")
        assert rig.telegram.calls_of("sendChatAction", ok=True)
        await rig.store.refund(new.job_id, FailureReason.GENERATION_FAILED)
        await rig.reporter.tick()
        expected = texts.get(
            "job_final_refunded",
            Language.EN,
            model="Z-Image",
            credits=texts.credits(new.price_credits, Language.EN),
        )
        assert message.text == expected and not (message.reply_markup or {}).get("inline_keyboard")
        edits = own_edits(rig, message_id)
        assert edits >= 3  # queued, generating, final
        await rig.reporter.tick()
        assert own_edits(rig, message_id) == edits

    async def test_stop_waiting_button_once_kie_has_the_job_then_hands_off(
        self, progress_rig: ProgressRig
    ) -> None:
        """Queued: Cancel; submitted: Stop waiting; after the user stopped waiting, no more edits."""
        rig = progress_rig
        message_id, new = await start_job(rig)
        texts = Texts()
        await rig.reporter.tick()
        message = rig.telegram.bot(None).message(rig.user_id, message_id)
        assert message is not None and message.reply_markup is not None
        assert _labels(message.reply_markup) == [texts.get("btn_cancel", Language.EN)]
        async with rig.pool.connection() as conn:
            await conn.execute(
                "UPDATE jobs SET state = 'submitted', submitted_at = now() WHERE id = %s", (new.job_id,)
            )
        await rig.reporter.tick()
        assert _labels(message.reply_markup) == [texts.get("btn_stop_waiting", Language.EN)]
        await rig.store.cancel(new.job_id, user_id=rig.user_id)
        edits = own_edits(rig, message_id)
        await rig.reporter.tick()
        assert own_edits(rig, message_id) == edits

    def test_elapsed_reads_as_minutes_and_seconds(self) -> None:
        """65 seconds read 1:05."""
        assert elapsed_text(65) == "1:05"


class TestResultPresenter:
    async def test_caption_names_model_cost_and_settings_with_chaining_buttons(
        self, progress_rig: ProgressRig
    ) -> None:
        """A picture result's caption shows model, price and choices; its buttons fit and chain."""
        rig = progress_rig
        _, new = await start_job(rig)
        job = await rig.store.get(new.job_id)
        assert job is not None
        presenter = ResultPresenter(rig.registry)
        caption = presenter.caption(job, "ru")
        assert caption.startswith("Z-Image ·") and "1:1" in caption
        data = [b.callback_data for row in presenter.keyboard(job, "en").inline_keyboard for b in row]
        assert any(str(d).endswith(":a") for d in data) and all(len(str(d).encode()) <= 64 for d in data)


class TestFileIdCache:
    async def test_a_result_sent_twice_is_uploaded_once(
        self, progress_rig: ProgressRig, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """The second send of the same result URL goes by Telegram file_id, not as an upload."""
        rig = progress_rig
        sender = TelegramSender(rig.bot, FileIdCache(redis_client, Keys(key_prefix)))
        media = Media(png(8, 8), "image/png", "result.png", f"http://results.test/{random.random()}.png")
        first = await sender.send_result(rig.user_id, media, "first")
        second = await sender.send_result(rig.user_id, media, "second")
        assert first != second
        photos = [call.params for call in rig.telegram.calls_of("sendPhoto", ok=True)]
        assert len(photos) == 2 and isinstance(photos[1]["photo"], str)
        sent = rig.telegram.bot(None).message(rig.user_id, first)
        assert sent is not None and photos[1]["photo"] == sent.content["photo"][-1]["file_id"]


def _labels(markup: Any) -> list[str]:
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else markup.inline_keyboard
    return [str(b["text"] if isinstance(b, dict) else b.text) for row in rows for b in row]
