"""Messages typed or sent in the wizard: texts, numbers, photos, image files, video, audio, links.

Outside a wizard, typed text is offered as the prompt of an image, a video, a song or speech; on the
confirm screen it replaces the description. A picture no step asks for is offered to every picture
type; a caption sent with a file is the prompt of the step that follows.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import structlog
from telegram import Message

from services.bot.handlers.photo import offer_photo
from services.bot.handlers.quick import offer_draft, with_prompt
from services.bot.handlers.turn import Turn
from services.bot.handlers.wizard import wizard_screen
from services.bot.media import MediaRejected
from services.bot.views import Screen
from services.bot.wizard import engine
from services.bot.wizard.engine import AnswerRejected
from services.bot.wizard.plan import Step, StepKind, plan
from services.bot.wizard.state import WizardState
from shared.catalog import FieldKind, Model

__all__ = ["on_message"]

log = structlog.get_logger()

_PREVIEW_CHARS = 60


class _Attachment:
    """A file in a message: its id, size, kind and a stable upload name."""

    def __init__(self, file_id: str, unique_id: str, size: int | None, kind: FieldKind, suffix: str) -> None:
        self.file_id = file_id
        self.size = size
        self.kind = kind
        self.name = f"{unique_id}{suffix}"


def _attachment(message: Message) -> _Attachment | None:
    if message.photo:
        photo = message.photo[-1]
        return _Attachment(photo.file_id, photo.file_unique_id, photo.file_size, FieldKind.IMAGE, ".jpg")
    document = message.document
    if document is not None:
        mime = document.mime_type or ""
        kind = {"image": FieldKind.IMAGE, "video": FieldKind.VIDEO, "audio": FieldKind.AUDIO}.get(
            mime.split("/")[0]
        )
        if kind is None:
            return None
        suffix = "." + (document.file_name or "file.bin").rsplit(".", 1)[-1][:8]
        return _Attachment(document.file_id, document.file_unique_id, document.file_size, kind, suffix)
    for media, kind, suffix in (
        (message.video, FieldKind.VIDEO, ".mp4"),
        (message.audio, FieldKind.AUDIO, ".mp3"),
        (message.voice, FieldKind.AUDIO, ".ogg"),
    ):
        if media is not None:
            return _Attachment(media.file_id, media.file_unique_id, media.file_size, kind, suffix)
    return None


def _is_link(text: str) -> bool:
    parts = urlsplit(text.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in text.strip()


async def _media_answer(
    turn: Turn, model: Model, state: WizardState, step: Step, message: Message
) -> WizardState:
    attachment = _attachment(message)
    what = turn.t(f"what_{step.field.kind.value}")
    if attachment is None:
        text = message.text or message.caption or ""
        if not _is_link(text):
            raise AnswerRejected("err_expect_media", what=what)
        url = text.strip()
    else:
        if attachment.kind is not step.field.kind:
            raise AnswerRejected("err_expect_media", what=what)
        if turn.deps.media is None:
            raise AnswerRejected("err_uploads_off")
        try:
            url = await turn.deps.media.take(turn.bot, attachment.file_id, attachment.name, attachment.size)
        except MediaRejected as exc:
            raise AnswerRejected(exc.key, **exc.values) from exc
    after, finished = engine.add_media(model, state, url)
    caption = (message.caption or "").strip()
    if finished and caption:  # a caption is the prompt wherever a prompt is asked
        return with_prompt(model, after, caption)
    return after


async def _answer(turn: Turn, model: Model, state: WizardState, message: Message) -> WizardState:
    step = plan(model)[state.step]
    if step.kind is StepKind.MEDIA:
        return await _media_answer(turn, model, state, step, message)
    if message.text is None:
        raise AnswerRejected("err_expect_text")
    if step.kind is StepKind.CHOICE:
        raise AnswerRejected("err_use_buttons")
    if step.kind is StepKind.NUMBER:
        return engine.set_number(model, state, message.text)
    return engine.set_text(model, state, message.text)


async def _outside_wizard(turn: Turn, message: Message) -> None:
    if message.text and message.text.strip():
        await offer_draft(turn, message.text.strip())
        return
    preview = (message.caption or "")[:_PREVIEW_CHARS]
    if preview:
        await message.reply_text(turn.t("free_text", preview=preview), do_quote=True)
    else:
        await turn.send(Screen(turn.t("help")))


def _replace_prompt(model: Model, state: WizardState, text: str) -> WizardState | None:
    """Text typed on the confirm screen: the new description (None when the model takes none)."""
    steps = plan(model)
    index = next(
        (i for i, s in enumerate(steps) if s.kind is StepKind.TEXT and s.name not in state.locked), None
    )
    if index is None:
        return None
    return engine.set_text(model, state.at(index, editing=True), text)


def _asks_media(turn: Turn, state: WizardState | None) -> bool:
    if state is None or state.model_id not in turn.registry:
        return False
    steps = plan(turn.registry.get(state.model_id))
    return state.step < len(steps) and steps[state.step].kind is StepKind.MEDIA


async def on_message(turn: Turn) -> None:
    """Feed a message to the current wizard step; a picture no step asks for gets the picture offer."""
    message = turn.message
    if message is None:
        return
    state = await turn.deps.wizards.load(turn.user_id, turn.update_id)
    attachment = _attachment(message)
    if attachment is not None and attachment.kind is FieldKind.IMAGE and not _asks_media(turn, state):
        caption = (message.caption or "").strip() or None
        await offer_photo(turn, attachment.file_id, attachment.name, attachment.size, caption)
        return
    if state is None or state.model_id not in turn.registry:
        await _outside_wizard(turn, message)
        return
    model = turn.registry.get(state.model_id)
    try:
        if state.step < len(plan(model)):
            after = await _answer(turn, model, state, message)
        elif message.text is not None and (replaced := _replace_prompt(model, state, message.text)):
            after = replaced
        else:
            await _outside_wizard(turn, message)
            return
    except AnswerRejected as exc:
        await turn.send(Screen(turn.t(exc.key, **exc.values)))
        return
    await turn.deps.wizards.save(turn.user_id, turn.update_id, state, after)
    await turn.send(await wizard_screen(turn, model, after))
