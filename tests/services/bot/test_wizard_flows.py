"""Wizard paths a user walks, in process: choices, photos, confirm, generate, cancel, stale, replay."""

from __future__ import annotations

import redis.asyncio as aioredis
from psycopg_pool import AsyncConnectionPool

from services.bot.wizard.plan import plan
from shared.catalog import Registry
from shared.chat.callbacks import Op, encode
from shared.chat.texts import Language
from shared.jobs import JobState
from tests.emulators.images import png
from tests.services.bot.harness import BotHarness, button_data, buttons, running_bot

STARTER = 50


async def open_model(bot: BotHarness, user: int, model_id: str) -> int:
    """/start, the model's type, and (when it is not the type's usual one) Model → its card → Start."""
    model = bot.registry.get(model_id)
    await bot.text(user, "/start")
    menu = bot.last(user).message_id
    await bot.press(user, menu, f"t:{model.type.value}")
    state = await bot.deps.wizards.load(user, -1)
    assert state is not None
    if state.model_id != model_id:
        for data in (f"c:{state.sid}:m", f"m:{model.id}", f"u:{model.id}"):
            await bot.press(user, menu, data)
    return menu


async def change_setting(bot: BotHarness, user: int, name: str) -> None:
    """Press the button of one setting (on the confirm screen, or via Settings on the prompt screen)."""
    state = await bot.deps.wizards.load(user, -1)
    assert state is not None
    index = [step.name for step in plan(bot.registry.get(state.model_id))].index(name)
    await bot.press(user, bot.last(user).message_id, f"c:{state.sid}:e")
    await bot.press(user, bot.last(user).message_id, f"c:{state.sid}:f{index}")


async def answer_choices(bot: BotHarness, user: int) -> None:
    """Answer choice steps a model asks (required, no default) with their first value."""
    while (screen := bot.last(user)) and any(
        str(b["callback_data"]).endswith(":v0") for b in buttons(screen)
    ):
        await bot.press(user, screen.message_id, button_data(screen, "w:").rsplit(":", 1)[0] + ":v0")


def step_name(bot: BotHarness, user: int, model_id: str) -> str | None:
    """The field the user's current wizard step asks for (None on the confirm screen)."""
    for button in buttons(bot.last(user)):
        parts = str(button.get("callback_data", "")).split(":")
        if parts[0] == "w":
            return plan(bot.registry.get(model_id))[int(parts[2])].name
    return None


class TestTextToImage:
    async def test_type_prompt_generate_is_four_actions(self, bot: BotHarness) -> None:
        """/start → Image from text → prompt → Generate: the default model runs with its defaults."""
        user = bot.new_user("en")
        await bot.text(user, "/start")
        await bot.press(user, bot.last(user).message_id, "t:text-to-image")
        model = bot.registry.default_model("text-to-image")
        prompt = bot.last(user)
        price = bot.deps.texts.credits(bot.registry.starting_price(model.id), Language.EN)
        assert (prompt.text or "").startswith(f"{model.name.en} · {price}")
        await bot.text(user, "a lighthouse at dusk")
        confirm = bot.last(user)
        await bot.press(user, confirm.message_id, button_data(confirm, "c:"))
        jobs = await bot.deps.jobs.recent_jobs(user)
        assert [job.model_id for job in jobs] == [model.id]
        assert jobs[0].params["prompt"] == "a lighthouse at dusk"

    async def test_non_default_choice_changes_the_price_on_confirm(self, bot: BotHarness) -> None:
        """Settings → Resolution shows each price; 2K then shows on the confirm screen."""
        user = bot.new_user("en")
        message_id = await open_model(bot, user, "nano-banana-2")
        await change_setting(bot, user, "resolution")
        screen = bot.last(user)
        price_2k = bot.registry.price("nano-banana-2", {"resolution": "2K"})
        two_k = next(b for b in buttons(screen) if str(b["text"]).startswith("2K"))
        assert bot.deps.texts.credits(price_2k, Language.EN) in two_k["text"]
        await bot.press(user, message_id, str(two_k["callback_data"]))
        assert step_name(bot, user, "nano-banana-2") == "prompt"
        await bot.text(user, "a lighthouse at dusk")
        confirm = bot.last(user)
        assert f"Price: {bot.deps.texts.credits(price_2k, Language.EN)}" in (confirm.text or "")
        assert "Resolution: 2K" in (confirm.text or "")

    async def test_settings_and_model_are_remembered_per_type(self, bot: BotHarness) -> None:
        """After a run with Z-Image at 16:9, Image from text starts with Z-Image at 16:9."""
        user = bot.new_user("en")
        await open_model(bot, user, "z-image")
        await answer_choices(bot, user)
        await change_setting(bot, user, "aspect_ratio")
        screen = bot.last(user)
        await bot.press(
            user,
            screen.message_id,
            str(next(b for b in buttons(screen) if "16:9" in b["text"])["callback_data"]),
        )
        await bot.text(user, "a cat")
        confirm = bot.last(user)
        await bot.press(user, confirm.message_id, button_data(confirm, "c:"))
        await bot.text(user, "/start")
        await bot.press(user, bot.last(user).message_id, "t:text-to-image")
        state = await bot.deps.wizards.load(user, -1)
        assert state is not None and state.model_id == "z-image" and state.params["aspect_ratio"] == "16:9"

    async def test_text_typed_on_confirm_replaces_the_prompt(self, bot: BotHarness) -> None:
        """On the confirm screen a new text is the new description; the wizard is kept."""
        user = bot.new_user("ru")
        await open_model(bot, user, "nano-banana-2")
        await bot.text(user, "маяк")
        await bot.text(user, "маяк на закате")
        state = await bot.deps.wizards.load(user, -1)
        assert state is not None and state.params["prompt"] == "маяк на закате"
        assert "маяк на закате" in (bot.last(user).text or "")


class TestImageEdit:
    async def test_uploaded_photo_reaches_kie_and_the_confirm_screen(self, bot: BotHarness) -> None:
        """A photo is fetched with getFile, uploaded to KIE, and counted on the confirm screen (RU)."""
        user = bot.new_user("ru")
        await open_model(bot, user, "qwen/image-to-image")
        await bot.photo(user, png(16, 16))
        assert bot.telegram.calls_of("getFile", ok=True)
        await bot.text(user, "сделай акварелью")
        confirm = bot.last(user)
        assert "прикреплено: 1" in (confirm.text or "")
        state = await bot.deps.wizards.load(user, -1)
        assert state is not None and str(state.params["image_url"]).startswith("http")


class TestGenerate:
    async def test_generate_holds_credits_and_cancel_refunds(self, bot: BotHarness) -> None:
        """Generate writes the job and its hold; the progress Cancel button refunds it."""
        user = bot.new_user("en")
        await open_model(bot, user, "z-image")
        await answer_choices(bot, user)
        await bot.text(user, "a cat")
        confirm = bot.last(user)
        await bot.press(user, confirm.message_id, button_data(confirm, "c:").rsplit(":", 1)[0] + ":g")
        price = bot.registry.price("z-image", {})
        assert await bot.deps.ledger.balance(user) == STARTER - price
        progress = bot.last(user)
        assert "queue" in (progress.text or "")
        assert not buttons(bot.telegram.bot(None).message(user, confirm.message_id))  # type: ignore[arg-type]
        await bot.press(user, progress.message_id, button_data(progress, "j:"))
        assert await bot.deps.ledger.balance(user) == STARTER
        jobs = await bot.deps.jobs.recent_jobs(user)
        assert [job.state for job in jobs] == [JobState.CANCELLED]

    async def test_second_press_of_generate_is_stale_and_charges_once(self, bot: BotHarness) -> None:
        """Pressing Generate twice creates one job; the second press is answered as out of date."""
        user = bot.new_user("en")
        await open_model(bot, user, "z-image")
        await answer_choices(bot, user)
        await bot.text(user, "a dog")
        confirm = bot.last(user)
        generate = button_data(confirm, "c:").rsplit(":", 1)[0] + ":g"
        await bot.press(user, confirm.message_id, generate)
        bot.telegram.bot(None).message(user, confirm.message_id).reply_markup = {  # type: ignore[union-attr]
            "inline_keyboard": [[{"text": "old", "callback_data": generate}]]
        }
        await bot.press(user, confirm.message_id, generate)
        assert len(await bot.deps.jobs.recent_jobs(user)) == 1
        assert bot.answers()[-1].get("text") == bot.deps.texts.get("stale_toast", Language.EN)


class TestStaleAndHelp:
    async def test_unknown_button_is_answered_and_offers_the_menu(self, bot: BotHarness) -> None:
        """A button from an older wizard is answered as stale and the menu is posted."""
        user = bot.new_user("en")
        await open_model(bot, user, "z-image")
        old = bot.last(user)
        old_choice = button_data(old, "w:")
        await bot.text(user, "/start")
        await bot.press(user, old.message_id, old_choice)
        assert bot.answers()[-1].get("text") == bot.deps.texts.get("stale_toast", Language.EN)
        assert bot.deps.texts.get("stale_message", Language.EN) in (bot.last(user).text or "")
        assert button_data(bot.last(user), "t:")

    async def test_text_typed_at_the_menu_becomes_a_prompt(self, bot: BotHarness) -> None:
        """Text with no wizard open offers image / video / song / speech; a pick lands on confirm."""
        user = bot.new_user("ru")
        await bot.text(user, "кот в сапогах")
        offer = bot.last(user)
        assert offer.text == bot.deps.texts.get("draft_offer", Language.RU, preview="кот в сапогах")
        assert {str(b["callback_data"]) for b in buttons(offer)} >= {"d:text-to-image", "d:music"}
        await bot.press(user, offer.message_id, "d:text-to-image")
        state = await bot.deps.wizards.load(user, -1)
        assert state is not None and state.params["prompt"] == "кот в сапогах"
        assert state.step == len(plan(bot.registry.get(state.model_id)))

    async def test_starter_credits_are_granted_once(self, bot: BotHarness) -> None:
        """/start twice grants the starter credits once."""
        user = bot.new_user("en")
        await bot.text(user, "/start")
        await bot.text(user, "/start")
        assert await bot.deps.ledger.balance(user) == STARTER

    async def test_settings_switch_the_language(self, bot: BotHarness) -> None:
        """Choosing Russian in /settings makes the next screens Russian for an English client."""
        user = bot.new_user("en")
        await bot.text(user, "/settings")
        await bot.press(user, bot.last(user).message_id, encode(Op.LANGUAGE, "ru"))
        await bot.text(user, "/start")
        assert bot.deps.texts.get("menu_title", Language.RU) in (bot.last(user).text or "")


class TestWorkerRestart:
    async def test_next_tap_continues_after_the_worker_is_replaced(
        self,
        bot: BotHarness,
        registry: Registry,
        redis_client: aioredis.Redis,
        key_prefix: str,
        pool: AsyncConnectionPool,
    ) -> None:
        """A fresh worker (new Application, same Redis) takes the user's next tap where they were."""
        user = bot.new_user("en")
        await open_model(bot, user, "nano-banana-2")
        await change_setting(bot, user, "aspect_ratio")
        before = await bot.deps.wizards.load(user, -1)
        async with running_bot(registry, redis_client, key_prefix, pool, telegram=bot.telegram) as fresh:
            screen = fresh.last(user)
            await fresh.press(user, screen.message_id, button_data(screen, "w:").rsplit(":", 1)[0] + ":v1")
            after = await fresh.deps.wizards.load(user, -1)
        assert before is not None and after is not None and before.editing
        assert step_name(fresh, user, "nano-banana-2") == "prompt" and after.params["aspect_ratio"] == "1:1"

    async def test_rehandled_update_repeats_nothing(self, bot: BotHarness) -> None:
        """The same tap handled twice (a worker died before acking) leaves the wizard one step on."""
        user = bot.new_user("en")
        await open_model(bot, user, "nano-banana-2")
        await change_setting(bot, user, "aspect_ratio")
        step = bot.last(user)
        update = bot.telegram.press_button(
            user, step.message_id, callback_data=button_data(step, "w:").rsplit(":", 1)[0] + ":v1"
        )
        await bot.deliver(update)
        first = await bot.deps.wizards.load(user, -1)
        await bot.deliver(update)
        assert await bot.deps.wizards.load(user, -1) == first
        assert first is not None and first.params["aspect_ratio"] == "1:1" and not first.editing


class TestInsufficientCredits:
    async def test_too_little_balance_is_said_plainly_and_nothing_is_charged(self, bot: BotHarness) -> None:
        """A run dearer than the balance: the confirm screen warns, Generate explains, no job is made."""
        user = bot.new_user("en")
        await open_model(bot, user, "sora-2-pro-text-to-video")
        await answer_choices(bot, user)
        await bot.text(user, "a whale over the city")
        confirm = bot.last(user)
        price = bot.registry.price("sora-2-pro-text-to-video", (await bot.deps.wizards.load(user, -1)).params)  # type: ignore[union-attr]
        missing = bot.deps.texts.credits(price - STARTER, Language.EN)
        assert bot.deps.texts.get("confirm_short", Language.EN, missing=missing) in (confirm.text or "")
        await bot.press(user, confirm.message_id, button_data(confirm, "c:").rsplit(":", 1)[0] + ":g")
        expected = bot.deps.texts.get(
            "gen_insufficient",
            Language.EN,
            price=bot.deps.texts.credits(price, Language.EN),
            balance=bot.deps.texts.credits(STARTER, Language.EN),
        )
        assert bot.last(user).text == expected
        assert await bot.deps.jobs.recent_jobs(user) == []
        assert await bot.deps.ledger.balance(user) == STARTER


class TestBatches:
    async def test_times_two_makes_two_paid_runs_at_the_price_on_the_button(self, bot: BotHarness) -> None:
        """×2 on a picture's confirm screen shows twice the price and creates two jobs, each held."""
        user = bot.new_user("en")
        await open_model(bot, user, "nano-banana-2")
        await bot.text(user, "two lighthouses")
        confirm = bot.last(user)
        price = bot.registry.price("nano-banana-2", {"prompt": "two lighthouses"})
        twice = next(b for b in buttons(confirm) if str(b["callback_data"]).endswith(":g2"))
        assert twice["text"] == bot.deps.texts.get(
            "btn_batch", Language.EN, n=2, price=bot.deps.texts.credits(2 * price, Language.EN)
        )
        await bot.press(user, confirm.message_id, str(twice["callback_data"]))
        jobs = await bot.deps.jobs.recent_jobs(user)
        assert len(jobs) == 2 and len({job.id for job in jobs}) == 2
        assert await bot.deps.ledger.balance(user) == STARTER - 2 * price

    async def test_a_batch_beyond_the_balance_runs_nothing(self, bot: BotHarness) -> None:
        """×4 costing more than the balance is refused whole, with Buy offered for the shortfall."""
        user = bot.new_user("en")
        await open_model(bot, user, "nano-banana-pro")
        await bot.text(user, "four castles")
        confirm = bot.last(user)
        price = bot.registry.price("nano-banana-pro", {"prompt": "four castles"})
        assert 4 * price > STARTER
        await bot.press(user, confirm.message_id, button_data(confirm, "c:").rsplit(":", 1)[0] + ":g4")
        assert await bot.deps.jobs.recent_jobs(user) == []
        assert button_data(bot.last(user), f"by:n{4 * price - STARTER}")

    async def test_no_batch_for_video(self, bot: BotHarness) -> None:
        """A video's confirm screen offers no ×2 / ×4."""
        user = bot.new_user("en")
        await open_model(bot, user, "bytedance/v1-pro-text-to-video")
        await bot.text(user, "a wave")
        assert not [b for b in buttons(bot.last(user)) if str(b["callback_data"]).endswith((":g2", ":g4"))]
