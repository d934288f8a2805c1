"""Jobs started from an inline message: the result is edited into that message, or the job refunded.

Telegram takes only a file_id or an HTTP URL when an inline message's media is edited (the Bot API
emulator refuses a new upload there), so the picture first goes to the sender's own chat with the bot
and its file_id is used; when that chat refuses it, the result URL goes in instead.
"""

from __future__ import annotations

import uuid

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
)

from emulators.telegram import FaultKind, FaultRule, Message
from shared.jobs import FailureReason, JobState
from tests.services.jobs.test_finisher import _ledger_kinds
from tests.services.jobs.test_tracker import Rig, _download_policy, _rig, _task_of, _tracker_pool

__all__ = ["_download_policy", "_rig", "_tracker_pool"]


async def _inline_message(rig: Rig, *, own_chat: bool = False) -> tuple[str, int]:
    """The rig's user sends an offer via the bot into a group (or their own chat with the bot): its
    inline_message_id and that chat's id."""
    friend = rig.telegram.create_user("Bob")
    group = rig.telegram.create_group("Friends", [rig.user_id, friend.id])
    chat_id = rig.user_id if own_chat else group.id
    query = rig.telegram.send_inline_query(rig.user_id, "a red fox", chat_id=chat_id)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Generate", callback_data="il:x")]])
    result = InlineQueryResultArticle("r", "A fox", InputTextMessageContent("A fox"), reply_markup=markup)
    rig.telegram.bot().inline_queries[query.payload["id"]].answer = {"results": [result.to_dict()]}
    message = rig.telegram.choose_inline_result(rig.user_id, query.payload["id"], "r")
    return str(message.internal["inline_message_id"]), chat_id


def _shown(rig: Rig, group_id: int) -> Message:
    return rig.telegram.chat_messages(group_id)[-1]


async def _finished(
    rig: Rig, inline_message_id: str, *, fail: bool = False, own_chat: bool = False
) -> uuid.UUID:
    job = await rig.new_job(inline_message_id=inline_message_id, own_chat=own_chat)
    await rig.submitter.submit_ready()
    task = await _task_of(rig, job.id)
    rig.kie_state.fail_task(task) if fail else rig.kie_state.complete_task(task)
    return job.id


class TestInlineDelivery:
    async def test_picture_goes_to_the_private_chat_then_into_the_inline_message_by_file_id(
        self, rig: Rig
    ) -> None:
        inline_id, group = await _inline_message(rig)
        job_id = await _finished(rig, inline_id)
        assert await rig.finisher.confirm(await rig.job(job_id))
        done = await rig.job(job_id)
        assert done.state is JobState.SUCCEEDED and done.delivered_at is not None
        assert await _ledger_kinds(rig, job_id) == ["hold", "capture"]
        [private] = rig.replies()
        shown = _shown(rig, group)
        assert shown.text is None and shown.via_bot is not None
        assert shown.content["photo"][0]["file_id"] == private.content["photo"][-1]["file_id"]
        edit = rig.telegram.calls_of("editMessageMedia", ok=True)[-1]
        assert edit.params["inline_message_id"] == inline_id and edit.response["result"] is True

    async def test_private_chat_refused_the_url_goes_in_instead(self, rig: Rig) -> None:
        """The user blocked the bot (403 in its own chat): Telegram fetches the result URL itself."""
        inline_id, group = await _inline_message(rig)
        job_id = await _finished(rig, inline_id)
        rig.telegram.faults.add(FaultRule("sendPhoto", FaultKind.FORBIDDEN, count=1))
        assert await rig.finisher.confirm(await rig.job(job_id))
        done = await rig.job(job_id)
        assert done.state is JobState.SUCCEEDED
        assert await _ledger_kinds(rig, job_id) == ["hold", "capture"]
        assert rig.replies() == []
        edit = rig.telegram.calls_of("editMessageMedia", ok=True)[-1]
        assert edit.params["media"]["media"] == done.result_urls[0]
        assert "photo" in _shown(rig, group).content

    async def test_refused_everywhere_is_refunded_and_the_inline_message_says_so(self, rig: Rig) -> None:
        inline_id, group = await _inline_message(rig)
        job_id = await _finished(rig, inline_id)
        rig.telegram.faults.add(FaultRule("sendPhoto", FaultKind.FORBIDDEN, count=1))
        rig.telegram.faults.add(FaultRule("editMessageMedia", FaultKind.BAD_REQUEST, count=1))
        assert await rig.finisher.confirm(await rig.job(job_id))
        done = await rig.job(job_id)
        assert done.state is JobState.FAILED and done.error_code is FailureReason.UNDELIVERABLE
        assert await _ledger_kinds(rig, job_id) == ["hold", "refund"]
        assert "Telegram would not accept the file" in (_shown(rig, group).text or "")

    async def test_kie_failure_is_refunded_and_said_in_the_inline_message(self, rig: Rig) -> None:
        inline_id, group = await _inline_message(rig)
        job_id = await _finished(rig, inline_id, fail=True)
        assert await rig.finisher.confirm(await rig.job(job_id))
        done = await rig.job(job_id)
        assert done.state is JobState.FAILED and done.notified_at is not None
        assert await _ledger_kinds(rig, job_id) == ["hold", "refund"]
        shown = _shown(rig, group)
        assert shown.text is not None and shown.text != "A fox" and shown.edit_count == 1
        assert rig.replies() == [], "told where the user asked, not in the private chat"

    async def test_in_the_own_chat_the_url_goes_in_and_no_copy_repeats_it(self, rig: Rig) -> None:
        inline_id, chat = await _inline_message(rig, own_chat=True)
        job_id = await _finished(rig, inline_id, own_chat=True)
        assert await rig.finisher.confirm(await rig.job(job_id))
        done = await rig.job(job_id)
        assert done.state is JobState.SUCCEEDED
        assert await _ledger_kinds(rig, job_id) == ["hold", "capture"]
        assert rig.replies() == [], "no second copy in the chat that already shows it"
        [shown] = [m for m in rig.telegram.chat_messages(chat) if m.via_bot is not None]
        assert "photo" in shown.content
        assert (
            rig.telegram.calls_of("editMessageMedia", ok=True)[-1].params["media"]["media"]
            == done.result_urls[0]
        )

    async def test_in_the_own_chat_a_refused_url_falls_back_to_the_copy(self, rig: Rig) -> None:
        inline_id, chat = await _inline_message(rig, own_chat=True)
        job_id = await _finished(rig, inline_id, own_chat=True)
        rig.telegram.faults.add(FaultRule("editMessageMedia", FaultKind.BAD_REQUEST, count=1))
        assert await rig.finisher.confirm(await rig.job(job_id))
        assert (await rig.job(job_id)).state is JobState.SUCCEEDED
        [private] = rig.replies()
        [shown] = [m for m in rig.telegram.chat_messages(chat) if m.via_bot is not None]
        assert shown.content["photo"][0]["file_id"] == private.content["photo"][-1]["file_id"]
