"""Every KIE API family through the wizard, under supervisord, against the KIE emulator.

One system serves the whole module. A user walks each family's model as Telegram users do: Music
(Suno V5, custom mode with lyrics, style and title) comes back as audio with its title and cover, Veo 3.1
Fast as a video, 4o Image and Flux Kontext (an edit of an uploaded photo) as pictures, Midjourney as
its grid of four. Under the delivered results the bot's follow-up buttons run priced jobs: the song's
first track is extended, the Veo video upgraded to 1080p and to 4K, the grid's second picture
upscaled (each shows its price first and is captured on delivery), and a variation KIE fails is
refunded. Then KIE fails one task of each family (the emulator's fault injection) and every one is
refunded with the generation-failed sentence in the user's language. The system sells unverified prices
(ALLOW_UNVERIFIED_PRICES): no KIE page prices Midjourney's upscale and vary.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from psycopg_pool import AsyncConnectionPool

from shared.catalog import FieldKind, FollowUp, Model, load_registry
from shared.chat.labels import field_label, value_label
from shared.chat.texts import Language
from shared.ledger import Ledger, MovementKind
from tests.conftest import free_port
from tests.e2e.emulators import emulator_process, kie_system_env
from tests.e2e.system import System, migrate, prepare_home, start, wait_until
from tests.e2e.telegram_control import TelegramControl
from tests.e2e.test_bot_flows import STARTER, TEXTS, Walker, balance, buttons
from tests.emulators.images import png

pytestmark = pytest.mark.e2e

KIE_KEY = "kie-families-key"
GRANT = 500
REGISTRY = load_registry()
MARK = TEXTS.get("mark_current", Language.EN, value="")


@dataclass(frozen=True)
class Family:
    """One family's model, the answers a user gives its wizard, and what the result arrives as."""

    route: str
    gen_type: str
    model_id: str
    answers: dict[str, Any] = field(default_factory=dict)
    media: str = "photo"
    count: int = 1

    @property
    def model(self) -> Model:
        """The registry model."""
        return REGISTRY.get(self.model_id)

    @property
    def price(self) -> int:
        """Its price for these answers (PRICE_MARKUP is 1 in e2e systems)."""
        texts = {name: value for name, value in self.answers.items() if not isinstance(value, bytes)}
        return REGISTRY.price(self.model_id, {**REGISTRY.default_params(self.model_id), **texts})


SONG = "Night Drive"
FAMILIES = [
    Family(
        "suno",
        "music",
        "V5",
        {"customMode": True, "prompt": "[Verse] city lights at night", "style": "synthwave", "title": SONG},
        media="audio",
    ),
    Family("veo", "text-to-video", "veo3_fast", {"prompt": "a paper boat on a rainy street"}, media="video"),
    Family("4o-image", "text-to-image", "gpt4o-image", {"prompt": "a red fox in snow"}),
    Family(
        "flux-kontext",
        "image-edit",
        "flux-kontext-pro",
        {"inputImage": png(32, 32), "prompt": "make it noon"},
    ),
    Family(
        "midjourney", "text-to-image", "midjourney/text-to-image", {"prompt": "a castle on a cliff"}, count=4
    ),
]


@pytest.fixture(name="kie_url", scope="module")
def _kie_url(xprocess: Any) -> Iterator[str]:
    """The KIE emulator: every task takes one second; quick callback retries."""
    options = ["--api-key", f"{KIE_KEY}=100000000", "--no-rate-limits", "--duration", "all=1"]
    yield from emulator_process(xprocess, "kie", [*options, "--retry-delays", "0.3,0.6"])


@pytest.fixture(name="families_system")
def _families_system(
    xprocess: Any, tmp_path: Path, system_env_factory: Any, kie_url: str
) -> Iterator[System]:
    port = free_port()
    env = system_env_factory(
        **kie_system_env(port, kie_url, KIE_KEY),
        JOBS_SWEEP_INTERVAL_SECONDS="0.5",
        ALLOW_UNVERIFIED_PRICES="true",
    )
    migrate(env)
    running = start(xprocess, prepare_home(tmp_path), port, env)
    try:
        system = next(running)
        system.wait_ready()  # not only RUNNING: each program's heartbeat says it serves
        yield system
    finally:
        running.close()


def kie_control(kie_url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """A call to the emulator's control API (GET without a body, else POST); its result."""
    request = urllib.request.Request(
        f"{kie_url}/_emulator/{path}",
        data=None if body is None else json.dumps(body).encode(),
        method="GET" if body is None else "POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        payload = json.load(response)
    assert payload["ok"], payload
    return payload["result"]


def grant(database_url: str, user_id: int, credits: int) -> None:
    """Top the user up (Veo costs more than the starter credits)."""

    async def run() -> None:
        async with AsyncConnectionPool(database_url, open=False, kwargs={"autocommit": True}) as pool:
            await Ledger(pool).grant(
                user_id, credits, MovementKind.GRANT, "e2e families", f"e2e:fam:{user_id}"
            )

    asyncio.run(run())


class FamilyWalker(Walker):
    """A Walker that answers each wizard step by the field its question names."""

    def last(self) -> dict[str, Any]:
        """The latest message with text: a result's late companion (the original file) is no screen."""
        return [m for m in self.messages() if "text" in m][-1]

    def open_model(self, gen_type: str, model_id: str) -> None:
        """/start, the type, then Model → card → Start: the model's own quick path."""
        count = len(self.messages())
        self.telegram.send_text(self.user, "/start")
        menus = wait_until(lambda: [m for m in self.messages()[count:] if self._is_menu(m)], 60, "the menu")
        menu = menus[-1]["message_id"]
        self.press(menu, f"t:{gen_type}")
        self.press(menu, self.data(self.last(), prefix="c:", suffix=":m"))
        for data in (f"m:{model_id}", f"u:{model_id}"):
            self.press(menu, data)

    @staticmethod
    def _is_menu(message: dict[str, Any]) -> bool:
        return any(str(b.get("callback_data", "")).startswith("t:") for b in buttons(message))

    def walk(self, family: Family) -> None:
        """From the main menu to the confirm screen of ``family``'s model, giving its answers: the
        quick path's steps first, then each answer still missing through its setting on the confirm."""
        self.open_model(family.gen_type, family.model_id)
        given: set[str] = set()
        for _ in range(3 * len(family.model.fields)):
            screen = self.last()
            if not any(str(b["callback_data"]).endswith(":g") for b in buttons(screen)):
                given.add(self._answer(screen, family))
                continue
            missing = [name for name in family.answers if name not in given]
            if not missing:
                return
            self._open_setting(screen, family.model, missing[0])
        raise AssertionError(f"the wizard of {family.model_id} never reached the confirm screen")

    def _open_setting(self, screen: dict[str, Any], model: Model, name: str) -> None:
        """Press the confirm screen's "Label: value" button of the field ``name``."""
        wanted = next(f for f in model.fields if f.name == name)
        prefix = self.t("btn_setting", label=field_label(TEXTS, wanted, self.language), value="")
        before = (self.last()["message_id"], screen.get("text"))
        self.press(screen["message_id"], self.data(screen, prefix="c:", label=prefix))
        wait_until(lambda: (self.last()["message_id"], self.last().get("text")) != before, 30, name)

    def _answer(self, screen: dict[str, Any], family: Family) -> str:
        """Answer the step on ``screen`` (the family's answer, else its default or Skip); its field."""
        asked = self._asked(screen, family.model)
        before = (self.last()["message_id"], screen.get("text"))
        if asked.name not in family.answers:
            choice = [b for b in buttons(screen) if str(b["text"]).startswith(MARK)]
            choice += [b for b in buttons(screen) if str(b["callback_data"]).endswith(":s")]
            assert choice, f"{family.model_id}: step {asked.name!r} needs an answer"
            self.press(screen["message_id"], str(choice[0]["callback_data"]))
        elif asked.kind is FieldKind.TEXT:
            self.text(family.answers[asked.name])
        elif asked.kind is FieldKind.IMAGE:
            self.photo(family.answers[asked.name])
        else:
            label = value_label(TEXTS, asked, family.answers[asked.name], self.language)
            self.press(screen["message_id"], self.data(screen, prefix="w:", label=label))
        wait_until(
            lambda: (self.last()["message_id"], self.last().get("text")) != before,
            30,
            f"the step after {asked.name}",
        )
        return str(asked.name)

    def _asked(self, screen: dict[str, Any], model: Model) -> Any:
        """The field whose label the question names (the longest match: "Style" vs "Styles to avoid")."""
        text = str(screen.get("text", ""))
        named = [f for f in model.fields if field_label(TEXTS, f, self.language) in text]
        if not named:  # the prompt's and the media's own questions name no label
            asks_prompt = self.t("step_prompt_any").split()[0] in text
            media = (FieldKind.IMAGE, FieldKind.VIDEO, FieldKind.AUDIO)
            named = [f for f in model.fields if f.name == "prompt" and asks_prompt]
            named = named or [f for f in model.fields if f.kind in media]
        assert named, f"no field of {model.id} named in {text!r}"
        return max(named, key=lambda f: len(field_label(TEXTS, f, self.language)))

    def follow_up(self, code: str, price: int) -> dict[str, Any]:
        """Press the follow-up ``code`` (hd, u1, x0...) under the latest result that offers it; its offer
        names the price and the balance; press Run. The offer screen."""

        def offering() -> list[dict[str, Any]]:
            return [m for m in self.messages() if any(self._offers(b, code) for b in buttons(m))]

        result = wait_until(offering, 60, f"a result offering {code}")[-1]
        count = len(self.messages())
        self.press(result["message_id"], self.data(result, prefix="f:", suffix=f":{code}"))

        def offer() -> dict[str, Any] | None:
            run = [m for m in self.messages()[count:] if any(self._runs(b, code) for b in buttons(m))]
            return run[-1] if run else None

        screen = dict(wait_until(offer, 30, f"the {code} offer"))
        assert TEXTS.credits(price, self.language) in screen["text"], screen["text"]
        self.press(screen["message_id"], self.data(screen, prefix="f:", suffix=f":{code}:y"))
        return screen

    @staticmethod
    def _offers(button: dict[str, Any], code: str) -> bool:
        data = str(button.get("callback_data", ""))
        return data.startswith("f:") and data.endswith(f":{code}")

    @staticmethod
    def _runs(button: dict[str, Any], code: str) -> bool:
        data = str(button.get("callback_data", ""))
        return data.startswith("f:") and data.endswith(f":{code}:y")

    def wait_for_follow_up(self, key: str, action: str) -> dict[str, Any]:
        """The follow-up's result: a ``key`` (photo, video, audio) message whose caption names ``action``
        (results of the original may still be arriving, so counting them would not do)."""
        found = wait_until(
            lambda: [m for m in self.messages() if key in m and action in str(m.get("caption", ""))],
            60,
            f"the {action} result",
        )
        return dict(found[0])

    def wait_for_text(self, expected: str) -> None:
        """Until a message of the bot holds ``expected``."""
        wait_until(lambda: any(expected in (m.get("text") or "") for m in self.messages()), 60, expected)

    def wait_for_balance(self, database_url: str, credits: int) -> None:
        """Until the user's balance is ``credits`` (a capture or refund is settled)."""
        wait_until(lambda: balance(database_url, self.user) == credits, 30, f"balance {credits}")

    def failure_text(self, family: Family) -> str:
        """The sentence a refunded generation failure ends with."""
        credits = TEXTS.credits(family.price, self.language)
        return self.t("failure_generation_failed", credits=credits)


class TestEveryFamily:
    def test_each_family_is_delivered_and_each_failure_refunded(
        self, families_system: System, telegram: TelegramControl, database_url: str, kie_url: str
    ) -> None:
        """EN: five families delivered (Suno as audio with title and cover, MJ as four); RU: all refunded."""
        ann = FamilyWalker(telegram, Language.EN)
        ann.text("/start")
        grant(database_url, ann.user, GRANT)
        spent = 0
        for family in FAMILIES:
            ann.walk(family)
            ann.generate()
            result = ann.wait_for_media(family.media, family.count)
            spent += family.price
            ann.wait_for_balance(database_url, STARTER + GRANT - spent)
            if family.route == "suno":
                assert result["audio"]["title"] == SONG and result["audio"]["thumbnail"]["file_size"] > 0
            spent += follow_ups(ann, family, database_url, kie_url, STARTER + GRANT - spent)
        vera = FamilyWalker(telegram, Language.RU)
        vera.text("/start")
        grant(database_url, vera.user, GRANT)
        for family in FAMILIES:
            vera.walk(family)
            kie_control(kie_url, "faults/tasks", {"fail_next": 1})
            vera.generate()
            expected = vera.failure_text(family)  # each family's price differs, so does its sentence
            vera.wait_for_text(expected)
            vera.wait_for_balance(database_url, STARTER + GRANT)
        tasks = kie_control(kie_url, "tasks")  # each family's own endpoint: one success, one failure
        per_family = Counter((task["family"], task["state"]) for task in tasks if not task["parentId"])
        assert len(per_family) == 2 * len(FAMILIES) and set(per_family.values()) == {1}, per_family
        follow = Counter(
            (task["family"], task["operation"], task["state"]) for task in tasks if task["parentId"]
        )
        assert follow == {
            ("suno", "extend", "success"): 1,
            ("veo", "1080p", "success"): 1,
            ("veo", "4k", "success"): 1,
            ("mj", "mj_upscale", "success"): 1,
            ("mj", "mj_vary", "fail"): 1,
        }, follow


def follow_ups(walker: FamilyWalker, family: Family, database_url: str, kie_url: str, left: int) -> int:
    """Suno: track 1 extended, delivered and captured. Veo: 1080p and 4K, each captured. Midjourney:
    picture 2 upscaled and captured, then a variation KIE fails refunded. The credits they took."""
    if family.route == "suno":
        price = REGISTRY.follow_up_price(family.model_id, FollowUp.EXTEND)
        assert price == 12  # KIE's "Extend Music"
        walker.follow_up("x0", price)
        walker.wait_for_follow_up("audio", walker.t("follow_extend", n=1))
        walker.wait_for_balance(database_url, left - price)
        return price
    if family.route == "veo":
        price = REGISTRY.follow_up_price(family.model_id, FollowUp.HD_1080P)
        assert price == 5  # KIE's "Get 1080P Video"
        walker.follow_up("hd", price)
        walker.wait_for_follow_up("video", walker.t("follow_1080p"))
        walker.wait_for_balance(database_url, left - price)
        uhd = REGISTRY.follow_up_price(family.model_id, FollowUp.UHD_4K)
        assert uhd == 120  # KIE's "Get 4K Video"
        walker.follow_up("4k", uhd)
        walker.wait_for_follow_up("video", walker.t("follow_4k"))
        walker.wait_for_balance(database_url, left - price - uhd)
        return price + uhd
    if family.route == "midjourney":
        price = REGISTRY.follow_up_price(family.model_id, FollowUp.UPSCALE)
        vary = REGISTRY.follow_up_price(family.model_id, FollowUp.VARY)
        assert price is not None and vary is not None
        walker.follow_up("u1", price)
        walker.wait_for_follow_up("photo", walker.t("follow_upscale", n=2))
        walker.wait_for_balance(database_url, left - price)
        kie_control(kie_url, "faults/tasks", {"fail_next": 1})
        walker.follow_up("v0", vary)
        walker.wait_for_text(
            walker.t("failure_generation_failed", credits=TEXTS.credits(vary, walker.language))
        )
        walker.wait_for_balance(database_url, left - price)
        return price
    return 0
