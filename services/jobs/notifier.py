"""Telling the user how a settled job ended: the result as media, or one plain sentence.

A result Telegram will not take in any form (too large, refused as media and as a document) goes as a
link the bot serves for a stated time (:mod:`shared.chat.result_links`); only when that message is
refused too is it Undeliverable, and the job refunded.

A job is notified at most once per lock holder: `JobTracking.recipient` locks the settled job's row,
the message is sent while the lock is held, and `notified_at` commits with it. A holder that dies
mid-send releases the lock with its connection and the job is notified again later (the one case a
user can see a message twice: Telegram may have delivered the first before the crash).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

import structlog
from telegram import InlineKeyboardMarkup

from shared.chat.delivery import (
    Downloader,
    DownloadError,
    Media,
    Refused,
    SendRetryLater,
    TelegramSender,
    Undeliverable,
    Unreachable,
)
from shared.chat.inline_delivery import InlineEditor
from shared.chat.presentation import ResultPresenter
from shared.chat.result_links import ResultLinks
from shared.jobs import Job, JobState, JobTracking

__all__ = ["Notifier"]

log = structlog.get_logger()


class Notifier:
    """Sends each settled job's one message and records that it was sent."""

    def __init__(
        self,
        tracking: JobTracking,
        downloader: Downloader,
        sender: TelegramSender,
        presenter: ResultPresenter,
        links: ResultLinks,
        inline: InlineEditor | None = None,
    ) -> None:
        self._inline = inline
        self._presenter = presenter
        self._links = links
        self._tracking = tracking
        self._downloader = downloader
        self._sender = sender

    async def notify(self, job_id: UUID, media: Sequence[Media] = ()) -> bool:
        """Tell the user about the settled job unless already told; False means "try again later"."""
        async with self._tracking.recipient(job_id) as recipient:
            if recipient is None:
                return True
            job = recipient.job
            try:
                message_id = await self._send(job, recipient.language, media)
            except SendRetryLater as exc:
                log.warning("job_notify_deferred", job_id=str(job_id), reason=str(exc))
                return False
            except Unreachable as exc:
                log.info("job_chat_unreachable", job_id=str(job_id), reason=str(exc))
                message_id = None
            delivered = job.state is JobState.SUCCEEDED and message_id is not None
            await self._tracking.mark_notified(recipient, delivered=delivered, message_id=message_id)
        log.info("job_notified", job_id=str(job_id), state=job.state.value, delivered=delivered)
        return True

    async def _send(self, job: Job, language: str, media: Sequence[Media]) -> int | None:
        if job.state is not JobState.SUCCEEDED and job.inline_message_id is not None:
            return await self._tell_inline(job, job.inline_message_id, language)
        if job.state is not JobState.SUCCEEDED:
            failure, markup = (
                self._presenter.failure(job, language),
                self._presenter.failure_keyboard(job, language),
            )
            return await self._sender.send_text(job.chat_id, failure, markup)
        return await self.send_result(job, language, media)

    async def send_result(self, job: Job, language: str, media: Sequence[Media]) -> int | None:
        """Send the job's result (downloading it again when `media` is empty); the first message's id.

        A job started from an inline message is delivered by editing that message (None: no message
        of the private chat holds it). Raises Undeliverable (refused in every form), Unreachable or
        SendRetryLater.
        """
        caption, markup = self._presenter.caption(job, language), self._presenter.keyboard(job, language)
        files = list(media) or await self._fetch(job)
        if job.inline_message_id is not None and files:
            return await self._deliver_inline(job, job.inline_message_id, files[0], caption, markup)
        if not files:
            return await self._sender.send_text(job.chat_id, "\n".join([caption, *job.result_urls]), markup)
        first: int | None = None
        for item in files:
            try:
                message_id = await self._sender.send_result(job.chat_id, item, caption, markup)
            except Undeliverable as exc:
                message_id = await self._send_link(job, language, item, markup, exc)
            else:
                if self._presenter.with_original(job, item.content_type):
                    await self._sender.send_original(job.chat_id, item)  # photos are recompressed
            first = first if first is not None else message_id
        assert first is not None
        return first

    async def _send_link(
        self, job: Job, language: str, item: Media, markup: InlineKeyboardMarkup, refused: Undeliverable
    ) -> int:
        """The result Telegram would not take, as a link the bot serves; Undeliverable if that is refused."""
        link = self._links.make(item.url, datetime.now(UTC))
        log.info("job_result_sent_as_link", job_id=str(job.id), reason=str(refused), until=link.expires_at)
        text = self._presenter.link_caption(job, language, link)
        try:
            return await self._sender.send_text(job.chat_id, text, markup)
        except Refused as exc:
            raise Undeliverable(f"{refused}; the link was refused too: {exc}") from exc

    async def _deliver_inline(
        self, job: Job, inline_message_id: str, item: Media, caption: str, markup: InlineKeyboardMarkup
    ) -> int | None:
        if self._inline is None:
            raise Undeliverable("inline messages cannot be edited by this notifier")
        return await self._inline.deliver(
            inline_message_id, job.chat_id, item, caption, markup, own_chat=job.inline_own_chat
        )

    async def _tell_inline(self, job: Job, inline_message_id: str, language: str) -> int | None:
        """A failure said in the inline message; in the sender's chat when that edit is refused."""
        failure = self._presenter.failure(job, language)
        if self._inline is not None:
            try:
                await self._inline.tell(inline_message_id, failure)
                return None
            except Refused as exc:
                log.info("inline_failure_edit_refused", job_id=str(job.id), reason=str(exc))
        return await self._sender.send_text(job.chat_id, failure)

    async def _fetch(self, job: Job) -> list[Media]:
        """Download the results again (a notify after a restart); [] when they are gone."""
        try:
            return [await self._downloader.fetch(url) for url in job.result_urls]
        except DownloadError as exc:
            if not exc.permanent:
                raise SendRetryLater(str(exc)) from exc
            log.warning("job_result_gone_before_delivery", job_id=str(job.id), reason=str(exc))
            return []
