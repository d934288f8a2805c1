"""What a Telegram user sees, through the real programs, the Bot API emulator and the KIE emulator.

Each path is walked as a user would, in Russian and English: a text-to-image run with a non-default
choice, an image edit with an uploaded photo, image-to-video chained from a result, a failed job refunded
and Cancel after KIE accepted the task (stop waiting, still charged), /history rerun, a stale button,
free text, and a bot worker killed mid-wizard.
"""

from __future__ import annotations

import json
import os
import random
import signal
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from shared.catalog import load_registry
from shared.chat.texts import Language, Texts
from tests.conftest import free_port
from tests.e2e.emulators import emulator_process, kie_system_env
from tests.e2e.system import System, migrate, prepare_home, start, wait_until
from tests.e2e.telegram_control import TelegramControl
from tests.emulators.images import png

pytestmark = pytest.mark.e2e

KIE_KEY = "kie-bot-flows-key"
STARTER = 50
TEXTS = Texts()
REGISTRY = load_registry()
SLOW_TYPE = "text-to-video"
FIRST_REPLY_SECONDS = 120


@pytest.fixture(name="kie_url", scope="module")
def _kie_url(xprocess: Any) -> Iterator[str]:
    """The KIE emulator: 1-second tasks, except text-to-video which runs a minute (to be cancelled)."""
    options = ["--api-key", f"{KIE_KEY}=100000000", "--no-rate-limits", "--duration", "all=1"]
    options += ["--duration", f"{SLOW_TYPE}=60", "--retry-delays", "0.3,0.6"]
    yield from emulator_process(xprocess, "kie", options)


@pytest.fixture(name="bot_system")
def _bot_system(
    xprocess: Any, tmp_path: Path, system_env_factory: Any, kie_url: str, telegram: TelegramControl
) -> Iterator[System]:
    port = free_port()
    env = system_env_factory(
        **kie_system_env(port, kie_url, KIE_KEY),
        JOBS_SWEEP_INTERVAL_SECONDS="0.5",
    )
    migrate(env)

    def ready(system: System) -> bool:  # on a loaded machine the first update must not wait for setWebhook
        return system.all_running() and f":{port}/" in str(telegram.webhook()["info"]["url"])

    yield from start(xprocess, prepare_home(tmp_path), port, env, ready=ready)


def kie_control(kie_url: str, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        f"{kie_url}/_emulator/{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["result"]


def balance(database_url: str, user_id: int) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT balance FROM users WHERE id = %s", (user_id,)).fetchone()
    assert row is not None
    return int(row[0])


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [button for row in rows for button in row]


class Walker:
    """One simulated user: acts through the emulator and waits until the bot has answered."""

    def __init__(self, telegram: TelegramControl, language: Language) -> None:
        self.telegram = telegram
        self.language = language
        self.user = telegram.create_user_as("Walker", random.randrange(7 * 10**9, 8 * 10**9), language.value)
        self.actions = 0
        """Messages sent and buttons pressed so far: what the user had to do."""

    def t(self, key: str, **values: object) -> str:
        return TEXTS.get(key, self.language, **values)

    def messages(self) -> list[dict[str, Any]]:
        return self.telegram.bot_messages(self.user)

    def last(self) -> dict[str, Any]:
        return self.messages()[-1]

    def message(self, message_id: int) -> dict[str, Any]:
        return next(m for m in self.messages() if m["message_id"] == message_id)

    def text(self, text: str, timeout: float = 30) -> None:
        self.actions += 1
        if self.actions == 1:  # a system just started may still be importing on a loaded machine
            timeout = max(timeout, FIRST_REPLY_SECONDS)
        count = len(self.messages())
        self.telegram.send_text(self.user, text)
        wait_until(lambda: len(self.messages()) > count, timeout, f"a reply to {text!r}")

    def photo(self, data: bytes) -> None:
        self.actions += 1
        count = len(self.messages())
        self.telegram.send_photo(self.user, data)
        wait_until(lambda: len(self.messages()) > count, 30, "a reply to a photo")

    def press(self, message_id: int, data: str, timeout: float = 30) -> dict[str, Any]:
        """Press a button and return the bot's answerCallbackQuery parameters."""
        self.actions += 1
        query = str(self.telegram.press_button(self.user, message_id, data)["callback_query"]["id"])

        def answer() -> dict[str, Any] | None:
            for call in self.telegram.calls("answerCallbackQuery"):
                if call["status"] == 200 and call["params"]["callback_query_id"] == query:
                    return dict(call["params"])
            return None

        return dict(wait_until(answer, timeout, f"the answer to {data!r}"))

    def data(self, message: dict[str, Any], *, prefix: str = "", suffix: str = "", label: str = "") -> str:
        for button in buttons(message):
            data = str(button.get("callback_data", ""))
            if data.startswith(prefix) and data.endswith(suffix) and str(button["text"]).startswith(label):
                return data
        raise AssertionError(f"no button {prefix}…{suffix} {label!r} on {message.get('text')!r}")

    def open_model(self, gen_type: str, model_id: str) -> None:
        """/start, the type (its usual model's prompt), and Model → card → Start for any other model."""
        self.text("/start")
        menu = self.last()["message_id"]
        self.press(menu, f"t:{gen_type}")
        name = REGISTRY.get(model_id).name.get(self.language.value)
        if not self.last()["text"].startswith(f"{name} · "):
            self.press(menu, self.data(self.last(), prefix="c:", suffix=":m"))
            for data in (f"m:{model_id}", f"u:{model_id}"):
                self.press(menu, data)

    def keep_defaults_until_input(self) -> None:
        """Press the marked choice (or Skip) until a step needs typed or sent input."""
        while True:
            screen = self.last()
            marked = [b for b in buttons(screen) if str(b["text"]).startswith("✓")]
            skip = [b for b in buttons(screen) if str(b["callback_data"]).endswith(":s")]
            choice = marked or skip
            if not choice:
                return
            self.press(screen["message_id"], str(choice[0]["callback_data"]))

    def generate(self) -> dict[str, Any]:
        confirm = self.last()
        assert any(b["text"].startswith(self.t("btn_generate")) for b in buttons(confirm)), confirm
        self.press(confirm["message_id"], self.data(confirm, prefix="c:", suffix=":g"))
        return self.last()

    def wait_for_media(self, key: str, count: int = 1) -> dict[str, Any]:
        found = wait_until(
            lambda: [m for m in self.messages() if key in m][count - 1 :], 60, f"{count} {key} result(s)"
        )
        return dict(found[0])


class TestQuickPath:
    @pytest.mark.parametrize("language", [Language.EN, Language.RU])
    def test_first_picture_in_four_actions(
        self, bot_system: System, telegram: TelegramControl, database_url: str, language: Language
    ) -> None:
        """/start → Image from text → prompt → Generate: four actions, the default model's picture arrives."""
        user = Walker(telegram, language)
        user.text("/start")
        user.press(user.last()["message_id"], "t:text-to-image")
        model = REGISTRY.default_model("text-to-image")
        price = REGISTRY.price(model.id, {"prompt": "x"})
        prompt = user.last()
        assert prompt["text"].startswith(
            f"{model.name.get(language.value)} · {TEXTS.credits(price, language)}"
        )
        user.text("a lighthouse at dusk")
        user.generate()
        result = user.wait_for_media("photo")
        assert result["caption"].startswith(model.name.get(language.value))
        assert user.actions == 4
        assert balance(database_url, user.user) == STARTER - price


class TestGenerationPaths:
    def test_generate_chain_and_rerun_in_both_languages(
        self, bot_system: System, telegram: TelegramControl, database_url: str
    ) -> None:
        """EN: 16:9 picture → Animate it → /history rerun; RU: image edit with an uploaded photo."""
        ann = Walker(telegram, Language.EN)
        ann.open_model("text-to-image", "z-image")
        ann.text("a lighthouse at dusk")
        confirm = ann.last()  # every setting is a button here; change the aspect ratio in place
        label = TEXTS.get("param_aspect_ratio", Language.EN)
        ann.press(confirm["message_id"], ann.data(confirm, prefix="c:", label=f"{label}: 1:1"))
        ann.press(confirm["message_id"], ann.data(ann.last(), prefix="w:", label="16:9"))
        confirm = ann.last()
        assert f"{TEXTS.get('param_aspect_ratio', Language.EN)}: 16:9" in confirm["text"]
        assert f"Price: {TEXTS.credits(1, Language.EN)}" in confirm["text"]
        progress = ann.generate()
        assert progress["text"].startswith("⏳")
        result = ann.wait_for_media("photo")
        assert "16:9" in result["caption"] and result["caption"].startswith("Z-Image")
        original = ann.wait_for_media("document")  # the untouched file, since Telegram recompresses photos
        assert original["message_id"] > result["message_id"]
        wait_until(
            lambda: ann.message(progress["message_id"])["text"].startswith("✅"),
            30,
            "the progress message finalised",
        )
        assert balance(database_url, ann.user) == STARTER - 1

        actions = ann.actions
        ann.press(result["message_id"], ann.data(result, prefix="j:", suffix=":a"))  # straight to the prompt
        animate = REGISTRY.default_model("image-to-video")
        assert ann.last()["text"].startswith(animate.name.en)
        ann.text("the waves start moving")
        confirm = ann.last()
        assert TEXTS.get("confirm_files", Language.EN, count=1) in confirm["text"]  # the carried picture
        ann.generate()
        video = ann.wait_for_media("video")
        assert video["caption"]
        assert ann.actions - actions == 3  # Animate, the prompt, Generate
        assert balance(database_url, ann.user) == STARTER - 1 - REGISTRY.price(animate.id, {"prompt": "x"})

        ann.text("/history")
        history = ann.last()
        assert history["text"].startswith(TEXTS.get("history_title", Language.EN))
        ann.press(history["message_id"], ann.data(history, prefix="h:r:"))
        rerun = ann.last()
        assert rerun["text"].startswith(
            TEXTS.get("confirm", Language.EN, model="", lines="", price="", balance="")[:6]
        )

        boris = Walker(telegram, Language.RU)
        boris.open_model("image-edit", "qwen/image-to-image")
        boris.keep_defaults_until_input()
        boris.photo(png(32, 32))
        boris.text("сделай в стиле акварели")
        assert (
            "Цена:" in boris.last()["text"]
            and TEXTS.get("confirm_files", Language.RU, count=1) in boris.last()["text"]
        )
        boris.generate()
        edited = boris.wait_for_media("photo")
        assert edited["caption"].startswith("Qwen") or "·" in edited["caption"]
        assert any(b["text"] == TEXTS.get("btn_regenerate", Language.RU) for b in buttons(edited))


class TestRefunds:
    def test_failed_and_cancelled_jobs_are_refunded_with_a_clear_message(
        self, bot_system: System, telegram: TelegramControl, database_url: str, kie_url: str
    ) -> None:
        """RU: a job KIE fails is refunded in plain words; EN: Cancel once KIE has it refunds nothing."""
        vera = Walker(telegram, Language.RU)
        vera.open_model("text-to-image", "z-image")
        vera.keep_defaults_until_input()
        vera.text("котик")
        kie_control(kie_url, "faults/tasks", {"fail_next": 1})
        vera.generate()
        failure = wait_until(
            lambda: [m for m in vera.messages() if "Возвращено на баланс" in (m.get("text") or "")],
            60,
            "the failure message",
        )[0]
        assert "Traceback" not in failure["text"] and "500" not in failure["text"]
        wait_until(lambda: balance(database_url, vera.user) == STARTER, 30, "the refund")

        dan = Walker(telegram, Language.EN)
        dan.open_model(SLOW_TYPE, "sora-2-text-to-video")
        dan.keep_defaults_until_input()
        dan.text("a slow sunrise over hills")
        progress = dan.generate()
        assert balance(database_url, dan.user) == STARTER - 20
        wait_until(lambda: kie_task_of(database_url, dan.user), 30, "KIE accepting the task")
        answer = dan.press(progress["message_id"], dan.data(progress, prefix="j:", suffix=":x"))
        assert answer.get("text") in (None, "")
        stopped = TEXTS.get("job_stop_waiting", Language.EN, credits=TEXTS.credits(20, Language.EN))
        assert stopped in dan.last()["text"]  # KIE has the task: Cancel no longer refunds (issue 13)
        assert balance(database_url, dan.user) == STARTER - 20


def kie_task_of(database_url: str, user_id: int) -> str | None:
    """The KIE task id of the user's latest job, once KIE accepted it."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT kie_task_id FROM jobs WHERE user_id = %s ORDER BY created_at DESC LIMIT 1", (user_id,)
        ).fetchone()
    return str(row[0]) if row and row[0] else None


class TestWizardResilience:
    def test_stale_button_free_text_and_a_killed_worker(
        self, bot_system: System, telegram: TelegramControl
    ) -> None:
        """A stale button says so; typed text becomes an offer; after SIGKILL of workers a tap goes on."""
        eva = Walker(telegram, Language.EN)
        eva.text("hello bot")
        assert eva.last()["text"] == eva.t("draft_offer", preview="hello bot")

        eva.open_model("text-to-image", "z-image")
        old = eva.last()
        old_choice = eva.data(old, prefix="w:")
        eva.text("/start")
        answer = eva.press(old["message_id"], old_choice)
        assert answer["text"] == eva.t("stale_toast")
        stale = eva.t("stale_message")  # the menu follows the answer to the press
        wait_until(lambda: eva.last()["text"].startswith(stale), 30, "the menu after a stale press")

        gleb = Walker(telegram, Language.RU)
        gleb.open_model("text-to-image", "z-image")
        gleb.text("маяк")
        screen = gleb.last()
        for name, info in bot_system.processes().items():
            if name.startswith("bot:") and info["statename"] == "RUNNING":
                os.kill(info["pid"], signal.SIGKILL)
        label = TEXTS.get("param_aspect_ratio", Language.RU)
        gleb.press(screen["message_id"], gleb.data(screen, prefix="c:", label=f"{label}: 1:1"), timeout=60)
        step = gleb.message(screen["message_id"])
        assert TEXTS.get("step_enum", Language.RU, label=label) in step["text"]
