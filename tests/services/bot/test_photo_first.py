"""Photo first: a picture sent at any time offers every picture action; its caption is the prompt."""

from __future__ import annotations

import pytest

from services.bot.views.quick import PHOTO_TYPES
from services.bot.wizard.plan import StepKind, plan
from shared.catalog import FieldKind
from shared.chat.texts import Language
from tests.emulators.images import png
from tests.services.bot.harness import BotHarness, buttons


async def _send(bot: BotHarness, user: int, caption: str | None) -> None:
    await bot.deliver(bot.telegram.send_photo(user, png(16, 16), caption=caption))


class TestPhotoFirst:
    @pytest.mark.parametrize("gen_type", [t.value for t in PHOTO_TYPES])
    async def test_each_action_starts_its_type_with_the_picture_and_the_caption(
        self, bot: BotHarness, gen_type: str
    ) -> None:
        """Photo with a caption at the menu → an action: the picture is in, the caption is the prompt."""
        user = bot.new_user("en")
        await _send(bot, user, "make it snowy")
        offer = bot.last(user)
        assert offer.text == bot.deps.texts.get("photo_offer_caption", Language.EN, caption="make it snowy")
        assert f"p:{gen_type}" in [b["callback_data"] for b in buttons(offer)]
        await bot.press(user, offer.message_id, f"p:{gen_type}")
        state = await bot.deps.wizards.load(user, -1)
        assert state is not None
        model = bot.registry.get(state.model_id)
        assert model.type.value == gen_type
        picture = next(f for f in model.fields if f.kind is FieldKind.IMAGE)
        carried = state.params[picture.name]
        assert str(carried[0] if isinstance(carried, list) else carried).startswith("http")
        prompts = [s for s in plan(model) if s.kind is StepKind.TEXT and s.name == "prompt"]
        if prompts:
            assert state.params.get("prompt") == "make it snowy"

    async def test_photo_without_caption_in_russian_asks_for_the_instruction(self, bot: BotHarness) -> None:
        """No caption: Edit opens the prompt step with the picture already in."""
        user = bot.new_user("ru")
        await _send(bot, user, None)
        offer = bot.last(user)
        assert offer.text == bot.deps.texts.get("photo_offer", Language.RU)
        await bot.press(user, offer.message_id, "p:image-edit")
        state = await bot.deps.wizards.load(user, -1)
        assert state is not None and "prompt" not in state.params
        assert plan(bot.registry.get(state.model_id))[state.step].name == "prompt"

    async def test_caption_answers_the_prompt_after_a_picture_step(self, bot: BotHarness) -> None:
        """In a wizard asking for a picture, a captioned photo fills the picture and the prompt."""
        user = bot.new_user("en")
        await bot.text(user, "/start")
        await bot.press(user, bot.last(user).message_id, "t:image-to-video")
        await _send(bot, user, "the sea starts moving")
        state = await bot.deps.wizards.load(user, -1)
        assert state is not None and state.params.get("prompt") == "the sea starts moving"
        assert state.step == len(plan(bot.registry.get(state.model_id)))
