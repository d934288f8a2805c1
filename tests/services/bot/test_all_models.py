"""Every registry model walked through the wizard to its confirm screen with default parameters."""

from __future__ import annotations

from emulators.telegram import Message
from services.bot.wizard.plan import StepKind, plan
from shared.catalog import FieldKind, Model, Registry
from shared.chat.callbacks import MAX_CALLBACK_BYTES
from shared.chat.texts import Language
from tests.emulators.images import png
from tests.services.bot.harness import BotHarness, button_data, buttons

MAX_LABEL_CHARS = 64
PRICE_LABEL = {Language.EN: "Price:", Language.RU: "Цена:"}
PROMPT = "a red fox in fresh snow, morning light"
DIALOGUE = "1: Hello there!\n2: Hi, how are you?"
LINKS = {FieldKind.VIDEO: "https://example.com/clip.mp4", FieldKind.AUDIO: "https://example.com/voice.mp3"}


def check_limits(message: Message, where: str) -> None:
    """Every button label and callback_data of ``message`` fits Telegram's limits."""
    for button in buttons(message):
        data = str(button.get("callback_data", ""))
        assert 0 < len(data.encode()) <= MAX_CALLBACK_BYTES, f"{where}: callback_data {data!r}"
        assert 0 < len(button["text"]) <= MAX_LABEL_CHARS, f"{where}: label {button['text']!r}"


def current_step(message: Message) -> int | None:
    """The wizard step a message asks (from its Cancel button), None on the confirm screen."""
    for button in buttons(message):
        parts = str(button.get("callback_data", "")).split(":")
        if parts[0] == "w" and parts[-1] == "x":
            return int(parts[2])
    return None


async def answer_step(bot: BotHarness, user: int, model: Model, message: Message, index: int) -> None:
    """Answer one step the way a user keeping every default would."""
    step = plan(model)[index]
    marked = [b for b in buttons(message) if str(b["text"]).startswith("✓")]
    if step.kind is StepKind.CHOICE and marked:
        await bot.press(user, message.message_id, str(marked[0]["callback_data"]))
    elif step.kind is StepKind.CHOICE:
        await bot.press(user, message.message_id, button_data(message, "w:").rsplit(":", 1)[0] + ":v0")
    elif (
        any(str(b["callback_data"]).endswith(":s") for b in buttons(message))
        and not (step.kind is StepKind.MEDIA and step.field.required)
        and not (step.kind is StepKind.TEXT and step.name == "prompt")
    ):
        await bot.press(user, message.message_id, button_data(message, "w:").rsplit(":", 1)[0] + ":s")
    elif any(str(b["callback_data"]).endswith(":d") for b in buttons(message)):
        await bot.press(user, message.message_id, button_data(message, "w:").rsplit(":", 1)[0] + ":d")
    elif step.kind is StepKind.MEDIA and step.field.kind is FieldKind.IMAGE:
        await bot.photo(user, png(8, 8))
    elif step.kind is StepKind.MEDIA:
        await bot.text(user, LINKS[step.field.kind])
    elif step.kind is StepKind.DIALOGUE:
        await bot.text(user, DIALOGUE)
    else:
        await bot.text(user, PROMPT)


async def walk_to_confirm(bot: BotHarness, model: Model, language: Language) -> tuple[int, Message]:
    """/start → type (→ Model → card → Start) → what it asks → the confirm screen; the user and screen."""
    user = bot.new_user(language.value)
    await bot.text(user, "/start")
    menu = bot.last(user)
    await bot.press(user, menu.message_id, f"t:{model.type.value}")
    state = await bot.deps.wizards.load(user, -1)
    assert state is not None
    if state.model_id != model.id:
        for data in (f"c:{state.sid}:m", f"m:{model.id}", f"u:{model.id}"):
            await bot.press(user, menu.message_id, data)
    for _ in range(3 * len(model.fields) + 20):
        message = bot.last(user)
        check_limits(message, model.id)
        index = current_step(message)
        if index is None:
            return user, message
        await answer_step(bot, user, model, message, index)
    raise AssertionError(f"{model.id}: never reached the confirm screen; last: {bot.last(user).text!r}")


class TestEveryModelToConfirm:
    async def test_every_model_reaches_confirm_with_the_registry_price(
        self, bot: BotHarness, registry: Registry
    ) -> None:
        """Each model, defaults kept, shows the registry's price; every button fits Telegram's limits."""
        presses_before = len(bot.answers())
        for number, model in enumerate(registry):
            language = Language.EN if number % 2 else Language.RU
            user, confirm = await walk_to_confirm(bot, model, language)
            state = await bot.deps.wizards.load(user, -1)
            assert state is not None and state.step == len(plan(model)), model.id
            for name, value in registry.default_params(model.id).items():
                assert state.params.get(name) == value, f"{model.id}: {name} changed from its default"
            price = registry.price(model.id, state.params)
            shown = bot.deps.texts.credits(price, language)
            label = PRICE_LABEL[language]
            assert f"\n{label} {shown}\n" in (confirm.text or ""), (
                f"{model.id}: {shown!r} not on {confirm.text!r}"
            )
            assert button_data(confirm, "c:").endswith(":g")
            check_limits(confirm, model.id)
        presses = sum(1 for call in bot.telegram.calls_of("answerCallbackQuery"))
        assert presses - presses_before >= len(registry)
