"""Headless Chromium driven over the Chrome DevTools Protocol, with nothing but aiohttp.

    async with Browser.launch(profile_dir) as browser:
        page = await browser.new_page()
        await page.goto("http://127.0.0.1:8080")
        title = await page.evaluate("document.title")
        await page.screenshot(path)

Chromium is Debian's ``chromium`` package; :func:`ensure_chromium` installs it with apt-get when it is
missing. The browser listens on a debugging port it picks itself (``--remote-debugging-port=0``, read
back from ``DevToolsActivePort``) and is killed with its whole process group on exit.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
    "--remote-debugging-address=127.0.0.1",
    "--window-size=1280,900",
    "--mute-audio",
    "--autoplay-policy=no-user-gesture-required",
)


def ensure_chromium() -> Path:
    """Chromium's path, installing Debian's package first when it is not there."""
    if not CHROMIUM.exists():
        apt = shutil.which("apt-get")
        if apt is None:
            raise RuntimeError("chromium is missing and apt-get is not available to install it")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run([apt, "install", "-y", "--no-install-recommends", "chromium"], check=True, env=env)
    return CHROMIUM


class CdpError(Exception):
    """A DevTools command answered with an error, or the page threw."""


class Page:
    """One tab, attached with a flat session on the browser's websocket."""

    def __init__(self, browser: Browser, session_id: str) -> None:
        self._browser = browser
        self._session = session_id

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a DevTools command to this tab."""
        return await self._browser.send(method, session_id=self._session, **params)

    async def goto(self, url: str) -> None:
        """Navigate and wait until the document has loaded."""
        await self.send("Page.navigate", url=url)
        await self.wait_for("document.readyState === 'complete'", seconds=30)

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (promises are awaited)."""
        answer = await self.send(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in answer:
            raise CdpError(f"{expression!r} threw: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    async def wait_for(self, expression: str, *, seconds: float, what: str | None = None) -> Any:
        """Poll an expression until it is truthy; its value."""
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            value = await self.evaluate(expression)
            if value:
                return value
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out after {seconds}s waiting for {what or expression}")
            await asyncio.sleep(0.2)

    async def screenshot(self, path: Path) -> None:
        """Save the visible page as a PNG."""
        answer = await self.send("Page.captureScreenshot", format="png")
        await asyncio.to_thread(_write, path, base64.b64decode(answer["data"]))


class Browser:
    """A running headless Chromium and its DevTools websocket."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}

    @classmethod
    @asynccontextmanager
    async def launch(cls, profile_dir: Path) -> AsyncIterator[Browser]:
        """Start Chromium with a fresh profile; kill its process group on exit."""
        args = [str(ensure_chromium()), *LAUNCH_FLAGS, f"--user-data-dir={profile_dir}", "about:blank"]
        process = _spawn(args)
        try:
            port = await _debugging_port(profile_dir, process)
            async with aiohttp.ClientSession() as http:
                async with http.get(f"http://127.0.0.1:{port}/json/version") as response:
                    ws_url = (await response.json())["webSocketDebuggerUrl"]
                async with http.ws_connect(ws_url, max_msg_size=0) as ws:
                    browser = cls(ws)
                    reader = asyncio.create_task(browser._read(), name="cdp-reader")
                    try:
                        yield browser
                    finally:
                        reader.cancel()
                        await asyncio.gather(reader, return_exceptions=True)
        finally:
            _kill_group(process)

    async def send(self, method: str, *, session_id: str | None = None, **params: Any) -> dict[str, Any]:
        """Send a command and wait for its answer."""
        message_id = next(self._ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params}
        if session_id is not None:
            message["sessionId"] = session_id
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[message_id] = future
        await self._ws.send_str(json.dumps(message))
        async with asyncio.timeout(60):
            return await future

    async def new_page(self) -> Page:
        """Open a tab and attach to it."""
        target = await self.send("Target.createTarget", url="about:blank")
        attached = await self.send("Target.attachToTarget", targetId=target["targetId"], flatten=True)
        page = Page(self, attached["sessionId"])
        await page.send("Page.enable")
        await page.send("Runtime.enable")
        return page

    async def _read(self) -> None:
        async for message in self._ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            future = self._waiting.pop(data.get("id", -1), None)
            if future is None or future.done():
                continue
            if "error" in data:
                future.set_exception(CdpError(str(data["error"])))
            else:
                future.set_result(data.get("result", {}))


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _spawn(args: list[str]) -> subprocess.Popen[bytes]:
    """Start Chromium in its own session, so its helpers can be killed as one group."""
    quiet = subprocess.DEVNULL
    return subprocess.Popen(args, stdout=quiet, stderr=quiet, start_new_session=True)


async def _debugging_port(profile_dir: Path, process: subprocess.Popen[bytes]) -> int:
    """Chromium writes the port it chose to DevToolsActivePort in the profile."""
    marker = profile_dir / "DevToolsActivePort"
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with {process.returncode} before listening")
        if marker.exists():
            lines = marker.read_text().splitlines()
            if lines and lines[0].isdigit():
                return int(lines[0])
        await asyncio.sleep(0.1)
    raise RuntimeError("chromium did not open its debugging port within 30 s")


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Terminate Chromium and every helper process it started."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
