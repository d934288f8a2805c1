"""The sandbox's web chat in headless Chromium: /start, a text-to-image generation, a Stars payment,
then inline mode (``@bot <prompt>`` in the composer, a result chosen, its Generate edited into the picture).

The whole system runs under supervisord in sandbox mode (every program plus `sandbox`); the test only
uses the page, as a person would, and saves a screenshot of each step under var/screenshots/.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services.sandbox.database import claim_database
from tests.conftest import fresh_database
from tests.e2e.browser import Browser, Page
from tests.e2e.sandbox import free_port_run, prepare_sandbox_home, sandbox_variables
from tests.e2e.system import FORBIDDEN_LOG_TEXT, ROOT, System, migrate, start, system_env, wait_until

pytestmark = pytest.mark.e2e

SCREENSHOTS = ROOT / "var" / "screenshots"
PROMPT = "a lighthouse at dusk, in the sandbox"
INLINE_PROMPT = "a paper boat on a puddle"

# The bot's current screen: the last bot message with an inline keyboard.
SCREEN_JS = """(() => {
  const all = [...document.querySelectorAll('.msg.bot')].filter(m => m.querySelector('.inline-keyboard'));
  const m = all[all.length - 1];
  if (!m) return null;
  return {id: m.dataset.id, text: m.querySelector('.text') ? m.querySelector('.text').innerText : '',
          buttons: [...m.querySelectorAll('.inline-keyboard button')]
                     .map(b => ({text: b.textContent, data: b.dataset.callback}))};
})()"""
BALANCE_JS = (
    "(() => { const t = document.getElementById('balance').textContent; "
    "return /^\\d+$/.test(t) ? Number(t) : null; })()"
)
RESULT_IMAGE_JS = "document.querySelectorAll('.msg.bot img[src^=\"/api/files/\"]').length"


@pytest.fixture(name="sandbox")
def _sandbox(xprocess: Any, tmp_path: Path, key_prefix: str) -> Iterator[System]:
    """TRT in sandbox mode with every program RUNNING, on free ports, in a database of its own."""
    chat_port, webhook_port = free_port_run(3), free_port_run(1)
    with fresh_database() as database_url:
        claim_database(database_url)
        env = system_env(HOST_ID=f"host-{uuid.uuid4().hex[:6]}")
        env.update(sandbox_variables(chat_port, webhook_port, database_url, key_prefix))
        env["PORT"] = str(webhook_port)
        migrate(env)
        yield from start(xprocess, prepare_sandbox_home(tmp_path), webhook_port, env)


def _chat_url(system: System) -> str:
    """The web chat's address, once it answers: supervisord calls the sandbox RUNNING after 2 s, but on a
    loaded machine its imports can take longer than that, and a page opened too early stays an error."""
    url = f"http://127.0.0.1:{system.env['SANDBOX_PORT']}"

    def answers() -> bool:
        with urllib.request.urlopen(f"{url}/api/config", timeout=5) as response:
            return bool(response.status == 200)

    wait_until(answers, 90, "the sandbox web chat to answer")
    return url


async def _screen(page: Page) -> dict[str, Any] | None:
    value = await page.evaluate(SCREEN_JS)
    return value if isinstance(value, dict) else None


async def _screen_changes(page: Page, before: dict[str, Any] | None, what: str) -> dict[str, Any]:
    """Wait until the bot's current screen differs from ``before``."""
    deadline = asyncio.get_running_loop().time() + 20
    while asyncio.get_running_loop().time() < deadline:
        screen = await _screen(page)
        if screen is not None and screen != before:
            return screen
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; screen still {before}")


async def _press(page: Page, screen: dict[str, Any], data: str) -> dict[str, Any]:
    """Press the button with this callback_data on the screen; the next screen."""
    selector = f'.msg.bot[data-id="{screen["id"]}"] button[data-callback="{data}"]'
    await page.evaluate(f"document.querySelector({json.dumps(selector)}).click()")
    return await _screen_changes(page, screen, f"the bot's answer to {data}")


async def _send(page: Page, text: str) -> None:
    await page.evaluate(
        f"(() => {{ document.getElementById('text').value = {json.dumps(text)}; "
        "document.getElementById('send').click(); return true; })()"
    )


async def _balance(page: Page) -> int:
    return int(await page.wait_for(BALANCE_JS, seconds=20, what="a balance in the side panel"))


def _button(screen: dict[str, Any], test: Any) -> str | None:
    return next((b["data"] for b in screen["buttons"] if b["data"] and test(b)), None)


async def _walk_wizard(page: Page, screen: dict[str, Any]) -> dict[str, Any]:
    """Keep every default, type the prompt; return the confirm screen."""
    for _ in range(12):
        if _button(screen, lambda b: b["data"].startswith("c:") and b["data"].endswith(":g")):
            return screen
        marked = _button(screen, lambda b: b["data"].startswith("w:") and b["text"].startswith("✓"))
        if marked is not None:
            screen = await _press(page, screen, marked)
        else:
            await _send(page, PROMPT)
            screen = await _screen_changes(page, screen, "the screen after the prompt")
    raise AssertionError(f"no Generate button after walking the wizard: {screen}")


class TestSandboxWebChat:
    async def test_generate_an_image_and_pay_with_test_stars(self, sandbox: System, tmp_path: Path) -> None:
        """/start, text-to-image with the image shown and the balance down, then a Stars pack raises it."""
        async with Browser.launch(tmp_path / "chromium-profile") as browser:
            page = await browser.new_page()
            await page.goto(_chat_url(sandbox))
            await page.wait_for("document.querySelectorAll('.user-tab').length >= 3", seconds=20)
            await page.wait_for(
                "!!document.querySelector('.user-tab .badge')", seconds=5, what="the admin user"
            )
            await page.screenshot(SCREENSHOTS / "01-web-chat.png")

            await _send(page, "/start")
            menu = await _screen_changes(page, None, "the main menu after /start")
            start_balance = await page.wait_for(f"({BALANCE_JS}) > 0 && {BALANCE_JS}", seconds=20)
            await page.screenshot(SCREENSHOTS / "02-start.png")

            screen = await _press(page, menu, "t:text-to-image")  # the quick path: straight to the prompt
            confirm = await _walk_wizard(page, screen)
            await page.screenshot(SCREENSHOTS / "03-confirm.png")

            generate = _button(confirm, lambda b: b["data"].startswith("c:") and b["data"].endswith(":g"))
            assert generate is not None
            await page.evaluate(
                f'document.querySelector(\'.msg.bot[data-id="{confirm["id"]}"] '
                f'button[data-callback="{generate}"]\').click()'
            )
            await page.wait_for(RESULT_IMAGE_JS, seconds=60, what="the generated image in the chat")
            spent = await page.wait_for(f"({BALANCE_JS}) < {start_balance} && {BALANCE_JS}", seconds=20)
            await page.screenshot(SCREENSHOTS / "04-image.png")
            assert 0 <= spent < start_balance

            paid = await self._pay_for_a_pack(page, int(spent))
            await self._inline_picture(page, paid)
        self._check_logs(sandbox)

    async def _inline_picture(self, page: Page, before: int) -> None:
        """``@bot prompt`` lists the offer; choosing it posts "via @bot"; its Generate becomes the picture."""
        await page.evaluate(
            "(() => { const box = document.getElementById('text'); "
            f"box.value = '@' + view.bot.username + ' ' + {json.dumps(INLINE_PROMPT)}; "
            "box.dispatchEvent(new Event('input')); return true; })()"
        )
        await page.wait_for("!!document.querySelector('.inline-result')", seconds=20, what="the inline offer")
        await page.screenshot(SCREENSHOTS / "07-inline-offer.png")
        await page.evaluate("document.querySelector('.inline-result').click()")
        via = "[...document.querySelectorAll('.msg.me')].filter(m => m.querySelector('.via')).pop()"
        await page.wait_for(f"!!({via}) && !!({via}).querySelector('.inline-keyboard button')", seconds=20)
        await page.screenshot(SCREENSHOTS / "08-inline-message.png")
        await page.evaluate(f"({via}).querySelector('.inline-keyboard button').click()")
        await page.wait_for(
            f"!!({via}).querySelector('img')", seconds=60, what="the picture in the inline message"
        )
        await page.wait_for(f"({BALANCE_JS}) < {before}", seconds=20, what="the price charged to the sender")
        await page.screenshot(SCREENSHOTS / "09-inline-picture.png")

    async def _pay_for_a_pack(self, page: Page, before: int) -> int:
        """/buy, pick the first pack, pay its invoice with test Stars; the balance rises."""
        screen = await _screen(page)
        await _send(page, "/buy")
        invoice_js = "document.querySelector('.invoice button.pay')"
        packs = await _screen_changes(page, screen, "the credit packs after /buy (money layer, issue 6)")
        if not await page.evaluate(f"!!{invoice_js}"):
            first = _button(packs, lambda b: True)
            assert first is not None, f"/buy showed no pack buttons: {packs}"
            await page.evaluate(
                f'document.querySelector(\'.msg.bot[data-id="{packs["id"]}"] '
                f'button[data-callback="{first}"]\').click()'
            )
        await page.wait_for(f"!!{invoice_js}", seconds=20, what="a Stars invoice (money layer, issue 6)")
        await page.screenshot(SCREENSHOTS / "05-invoice.png")
        await page.evaluate(f"{invoice_js}.click()")
        await page.wait_for("!!document.querySelector('.msg .payment')", seconds=20, what="the payment")
        await page.wait_for(f"({BALANCE_JS}) > {before}", seconds=20, what="the balance to rise")
        await page.screenshot(SCREENSHOTS / "06-paid.png")
        return await _balance(page)

    def _check_logs(self, system: System) -> None:
        for name, text in system.logs().items():
            for forbidden in FORBIDDEN_LOG_TEXT:
                assert forbidden not in text, f"{name} contains {forbidden!r}"
