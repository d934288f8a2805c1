"""Live progress for jobs started from the bot: one message per job, edited in place.

While a job runs, its progress message says whether it is queued or generating, how long it has run
and how long that model usually takes (the median of its last successful runs, else the registry's
typical time), keeps its button (Cancel while queued, Stop waiting once KIE has the task: only a queued
job is refunded), and the chat shows an upload action. Once the job is settled the message is edited
one last time to its outcome, without buttons. A job the user stopped waiting for is left alone (its
message became the menu; the result arrives as its own message). A leader duty, so one process edits
each message.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import redis.asyncio as aioredis
import structlog
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ChatAction
from telegram.error import BadRequest, TelegramError

from shared.catalog import CatalogError, GenType, Registry
from shared.chat.callbacks import JOB_CANCEL, Op, encode, job_ref
from shared.chat.labels import duration
from shared.chat.texts import Language, Texts
from shared.keys import Keys

__all__ = ["ProgressReporter", "elapsed_text"]

log = structlog.get_logger()

_BATCH = 200
_HISTORY = 20
_MIN_SAMPLES = 3
_FINAL_TTL_SECONDS = 24 * 3600
_ACTIONS = {
    GenType.TEXT_TO_SPEECH: ChatAction.RECORD_VOICE,
    GenType.MUSIC: ChatAction.UPLOAD_VOICE,
    GenType.SOUND_EFFECT: ChatAction.UPLOAD_VOICE,
    GenType.TEXT_TO_VIDEO: ChatAction.UPLOAD_VIDEO,
    GenType.IMAGE_TO_VIDEO: ChatAction.UPLOAD_VIDEO,
    GenType.VIDEO_TO_VIDEO: ChatAction.UPLOAD_VIDEO,
    GenType.AVATAR: ChatAction.UPLOAD_VIDEO,
}
_JOBS = """
SELECT j.id, j.chat_id, j.model_id, j.state, j.price_credits, j.progress_message_id, j.settlement,
       j.notified_at, u.language,
       extract(epoch FROM coalesce(j.finished_at, now()) - j.created_at) AS elapsed
FROM jobs j JOIN users u ON u.id = j.user_id
WHERE j.progress_message_id IS NOT NULL AND j.stop_waiting_at IS NULL
  AND (j.state IN ('queued', 'submitting', 'submitted') OR j.finished_at > now() - %s)
ORDER BY j.created_at LIMIT %s
"""
_MEDIANS = """
SELECT model_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY took) AS median, count(*) AS runs
FROM (SELECT model_id, extract(epoch FROM finished_at - created_at) AS took,
             row_number() OVER (PARTITION BY model_id ORDER BY finished_at DESC) AS n
      FROM jobs WHERE state = 'succeeded' AND model_id = ANY(%s)) recent
WHERE n <= %s GROUP BY model_id
"""


def elapsed_text(seconds: float) -> str:
    """Elapsed time as minutes:seconds, e.g. 1:05."""
    whole = max(0, int(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


@dataclass(frozen=True, slots=True)
class _Row:
    job_id: UUID
    chat_id: int
    model_id: str
    state: str
    price: int
    message_id: int
    settled: bool
    language: Language
    elapsed: float

    @classmethod
    def of(cls, row: dict[str, Any]) -> _Row:
        return cls(
            job_id=row["id"],
            chat_id=int(row["chat_id"]),
            model_id=str(row["model_id"]),
            state=str(row["state"]),
            price=int(row["price_credits"]),
            message_id=int(row["progress_message_id"]),
            settled=row["settlement"] is not None,
            language=Language.parse(row["language"]) or Language.RU,
            elapsed=float(row["elapsed"]),
        )


class ProgressReporter:
    """Edits progress messages of running jobs every ``interval_seconds``; finalises settled ones."""

    def __init__(
        self,
        pool: AsyncConnectionPool[Any],
        bot: Bot,
        redis: aioredis.Redis,
        keys: Keys,
        registry: Registry,
        *,
        interval_seconds: float = 4.0,
        texts: Texts | None = None,
    ) -> None:
        self._pool = pool
        self._bot = bot
        self._redis = redis
        self._keys = keys
        self._registry = registry
        self._interval = interval_seconds
        self._texts = texts or Texts()

    async def duty(self, epoch: int) -> None:
        """The leader duty: refresh progress messages until the term ends."""
        log.info("job_progress_started", epoch=epoch)
        while True:
            try:
                await self.tick()
            except Exception:  # a failed round (database, Telegram) is retried at the next interval
                log.exception("job_progress_failed")
            await asyncio.sleep(self._interval)

    async def tick(self) -> None:
        """One round: every running job's message refreshed, every newly settled one finalised."""
        rows = await self._rows()
        medians = await self._medians({row.model_id for row in rows if not row.settled})
        for row in rows:
            if row.settled:
                await self._finalise(row)
            else:
                await self._refresh(row, medians.get(row.model_id))

    async def _rows(self) -> list[_Row]:
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(_JOBS, (timedelta(minutes=30), _BATCH))
            return [_Row.of(row) for row in await cur.fetchall()]

    async def _medians(self, model_ids: set[str]) -> dict[str, float]:
        if not model_ids:
            return {}
        async with self._pool.connection() as conn:
            rows = await (await conn.execute(_MEDIANS, (list(model_ids), _HISTORY))).fetchall()
        return {str(model): float(median) for model, median, runs in rows if runs >= _MIN_SAMPLES}

    def _name(self, row: _Row) -> str:
        try:
            return self._registry.get(row.model_id).name.get(row.language.value)
        except CatalogError:
            return row.model_id

    async def _refresh(self, row: _Row, median: float | None) -> None:
        typical = self._typical(row.model_id)
        estimate = duration(self._texts, round(median if median is not None else typical), row.language)
        name = self._name(row)
        if row.state == "queued":
            text = self._texts.get("job_queued", row.language, model=name, time=estimate)
        else:
            elapsed = elapsed_text(row.elapsed)
            text = self._texts.get("job_generating", row.language, model=name, elapsed=elapsed, time=estimate)
        label = "btn_cancel" if row.state == "queued" else "btn_stop_waiting"  # Cancel refunds only then
        cancel = InlineKeyboardButton(
            self._texts.get(label, row.language),
            callback_data=encode(Op.JOB, job_ref(row.job_id), JOB_CANCEL),
        )
        await self._edit(row, text, InlineKeyboardMarkup([[cancel]]))
        if row.state == "submitted":
            await self._action(row)

    def _typical(self, model_id: str) -> int:
        try:
            return self._registry.get(model_id).typical_seconds
        except CatalogError:
            return 60

    async def _finalise(self, row: _Row) -> None:
        if not await self._redis.set(
            self._keys.progress_final(row.job_id.hex), "1", nx=True, ex=_FINAL_TTL_SECONDS
        ):
            return
        name = self._name(row)
        if row.state == "succeeded":
            text = self._texts.get(
                "job_final_done", row.language, model=name, elapsed=elapsed_text(row.elapsed)
            )
        else:  # a cancel was also said by the bot in a message of its own; this one agrees
            key = "job_final_cancelled" if row.state == "cancelled" else "job_final_refunded"
            credits = self._texts.credits(row.price, row.language)
            text = self._texts.get(key, row.language, model=name, credits=credits)
        await self._edit(row, text, None)

    async def _edit(self, row: _Row, text: str, markup: InlineKeyboardMarkup | None) -> None:
        try:
            await self._bot.edit_message_text(
                text, chat_id=row.chat_id, message_id=row.message_id, reply_markup=markup
            )
        except BadRequest as exc:  # not modified, or the user deleted the message: nothing to fix
            log.info("job_progress_edit_skipped", job_id=str(row.job_id), reason=exc.message)
        except TelegramError as exc:
            log.warning("job_progress_edit_failed", job_id=str(row.job_id), error=type(exc).__name__)

    async def _action(self, row: _Row) -> None:
        try:
            gen_type = self._registry.get(row.model_id).type
        except CatalogError:
            return
        try:
            await self._bot.send_chat_action(row.chat_id, _ACTIONS.get(gen_type, ChatAction.UPLOAD_PHOTO))
        except TelegramError as exc:
            log.info("job_chat_action_failed", job_id=str(row.job_id), error=type(exc).__name__)
