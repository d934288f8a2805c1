"""Photo first: a picture sent at any time is kept and offered as the input of every picture type.

Its caption becomes the instruction (the prompt) of whatever the user picks; a type whose usual model
takes no picture starts with its first model that does.
"""

from __future__ import annotations

import structlog

from services.bot.handlers.quick import begin_quick, open_wizard, type_model, with_prompt
from services.bot.handlers.turn import Stale, Turn
from services.bot.media import MediaRejected
from services.bot.views import Screen
from services.bot.views.menu import takes_picture
from services.bot.views.quick import PHOTO_TYPES, photo_offer
from shared.catalog import GenType, Model
from shared.chat.callbacks import Callback

__all__ = ["offer_photo", "on_photo", "start_with_picture"]

log = structlog.get_logger()


async def offer_photo(turn: Turn, file_id: str, name: str, size: int | None, caption: str | None) -> None:
    """Take the picture (upload it for KIE) and offer what to do with it."""
    if turn.deps.media is None:
        await turn.send(Screen(turn.t("err_uploads_off")))
        return
    try:
        url = await turn.deps.media.take(turn.bot, file_id, name, size)
    except MediaRejected as exc:
        await turn.send(Screen(turn.t(exc.key, **exc.values)))
        return
    await turn.deps.prefs.set_photo(turn.user_id, url, caption)
    log.info("photo_offered", captioned=caption is not None)
    await turn.send(photo_offer(turn.deps.texts, turn.registry, turn.language, caption))


async def _picture_model(turn: Turn, gen_type: GenType) -> Model:
    model = await type_model(turn, gen_type)
    if takes_picture(model):
        return model
    fitting = [m for m in turn.registry.by_type(gen_type) if takes_picture(m)]
    if not fitting:
        raise Stale()
    return fitting[0]


async def on_photo(turn: Turn, callback: Callback) -> str | None:
    """A button of the picture offer: that type's wizard with the picture in and the caption as prompt."""
    try:
        gen_type = GenType(callback.arg(0) or "")
    except ValueError:
        raise Stale() from None
    if gen_type not in PHOTO_TYPES or gen_type not in turn.registry.types():
        raise Stale()
    photo = await turn.deps.prefs.photo(turn.user_id)
    if photo is None:
        raise Stale("photo_gone")
    url, caption = photo
    await start_with_picture(turn, gen_type, url, caption)
    return None


async def start_with_picture(
    turn: Turn, gen_type: GenType, url: str, caption: str | None = None, *, fresh: bool = False
) -> None:
    """``gen_type`` on the quick path with the picture ``url`` in (and ``caption`` as its prompt)."""
    model = await _picture_model(turn, gen_type)
    state = await begin_quick(turn, model, url)
    if caption:
        state = with_prompt(model, state, caption)
    await open_wizard(turn, model, state, fresh=fresh)
