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
    """/start, then the model's type, card and Start; returns the wizard message id."""
    model = bot.registry.get(model_id)
    await bot.text(user, "/start")
    menu = bot.last(user).message_id
    for data in (f"t:{model.type.value}", f"m:{model.id}", f"u:{model.id}"):
        await bot.press(user, menu, data)
    return menu


def step_name(bot: BotHarness, user: int, model_id: str) -> str | None:
    """The field the user's current wizard step asks for (None on the confirm screen)."""
    for button in buttons(bot.last(user)):
        parts = str(button.get("callback_data", "")).split(":")
        if parts[0] == "w":
            return plan(bot.registry.get(model_id))[int(parts[2])].name
    return None


async def keep_default(bot: BotHarness, user: int) -> None:
    """Press the marked (current) choice, or Skip where nothing is marked."""
    screen = bot.last(user)
    marked = [b for b in buttons(screen) if str(b["text"]).startswith("✓")]
    data = str(marked[0]["callback_data"]) if marked else button_data(screen, "w:").rsplit(":", 1)[0] + ":s"
    await bot.press(user, screen.message_id, data)


class TestTextToImage:
    async def test_non_default_choice_changes_the_price_on_confirm(self, bot: BotHarness) -> None:
        """Picking 2K for Nano Banana 2 shows its price on the button and on the confirm screen."""
        user = bot.new_user("en")
        message_id = await open_model(bot, user, "nano-banana-2")
        while step_name(bot, user, "nano-banana-2") != "resolution":
            await keep_default(bot, user)
        screen = bot.last(user)
        price_2k = bot.registry.price("nano-banana-2", {"resolution": "2K"})
        two_k = next(b for b in buttons(screen) if str(b["text"]).startswith("2K"))
        assert bot.deps.texts.credits(price_2k, Language.EN) in two_k["text"]
        await bot.press(user, message_id, str(two_k["callback_data"]))
        while step_name(bot, user, "nano-banana-2") != "prompt":
            await keep_default(bot, user)
        await bot.text(user, "a lighthouse at dusk")
        confirm = bot.last(user)
        assert f"Price: {bot.deps.texts.credits(price_2k, Language.EN)}" in (confirm.text or "")
        assert "Resolution: 2K" in (confirm.text or "")


class TestImageEdit:
    async def test_uploaded_photo_reaches_kie_and_the_confirm_screen(self, bot: BotHarness) -> None:
        """A photo is fetched with getFile, uploaded to KIE, and counted on the confirm screen (RU)."""
        user = bot.new_user("ru")
        await open_model(bot, user, "qwen/image-to-image")
        step = bot.last(user)
        await bot.press(user, step.message_id, button_data(step, "w:").rsplit(":", 1)[0] + ":v0")
        await bot.photo(user, png(16, 16))
        assert bot.telegram.calls_of("getFile", ok=True)
        await bot.text(user, "сделай акварелью")
        confirm = bot.last(user)
        assert "файлов: 1" in (confirm.text or "")
        state = await bot.deps.wizards.load(user, -1)
        assert state is not None and str(state.params["image_url"]).startswith("http")


class TestGenerate:
    async def test_generate_holds_credits_and_cancel_refunds(self, bot: BotHarness) -> None:
        """Generate writes the job and its hold; the progress Cancel button refunds it."""
        user = bot.new_user("en")
        await open_model(bot, user, "z-image")
        step = bot.last(user)
        marked = next(b for b in buttons(step) if str(b["text"]).startswith("✓"))
        await bot.press(user, step.message_id, str(marked["callback_data"]))
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
        step = bot.last(user)
        await bot.press(user, step.message_id, button_data(step, "w:").rsplit(":", 1)[0] + ":v0")
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

    async def test_free_text_outside_a_wizard_gets_help_quoting_it(self, bot: BotHarness) -> None:
        """Text with no wizard open is answered with help that quotes it."""
        user = bot.new_user("ru")
        await bot.text(user, "привет, что умеешь?")
        assert bot.last(user).text == bot.deps.texts.get(
            "free_text", Language.RU, preview="привет, что умеешь?"
        )

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
        step = bot.last(user)
        await bot.press(user, step.message_id, button_data(step, "w:").rsplit(":", 1)[0] + ":v3")
        before = await bot.deps.wizards.load(user, -1)
        async with running_bot(registry, redis_client, key_prefix, pool, telegram=bot.telegram) as fresh:
            screen = fresh.last(user)
            await fresh.press(user, screen.message_id, button_data(screen, "w:").rsplit(":", 1)[0] + ":v1")
            after = await fresh.deps.wizards.load(user, -1)
        assert before is not None and after is not None
        assert after.step == before.step + 1 and after.params["aspect_ratio"] == "16:9"

    async def test_rehandled_update_repeats_nothing(self, bot: BotHarness) -> None:
        """The same tap handled twice (a worker died before acking) leaves the wizard one step on."""
        user = bot.new_user("en")
        await open_model(bot, user, "nano-banana-2")
        step = bot.last(user)
        update = bot.telegram.press_button(
            user, step.message_id, callback_data=button_data(step, "w:").rsplit(":", 1)[0] + ":v0"
        )
        await bot.deliver(update)
        first = await bot.deps.wizards.load(user, -1)
        await bot.deliver(update)
        assert await bot.deps.wizards.load(user, -1) == first
        assert first is not None and first.step == 1


class TestInsufficientCredits:
    async def test_too_little_balance_is_said_plainly_and_nothing_is_charged(self, bot: BotHarness) -> None:
        """A run dearer than the balance: the confirm screen warns, Generate explains, no job is made."""
        user = bot.new_user("en")
        await open_model(bot, user, "sora-2-pro-text-to-video")
        while step_name(bot, user, "sora-2-pro-text-to-video") != "prompt":
            await keep_default(bot, user)
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
