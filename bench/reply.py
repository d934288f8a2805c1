"""Reply latency: a user's text to the bot's answer, with the whole system running, beside PTB alone.

The Bot API emulator plays Telegram for two bots. TRT's bot is the whole system under supervisord
(webhook, two bot workers, jobs, warmup, lockkeeper, crashguard) on a private database and a private
Redis with the shipped persistence (``appendfsync always``); Telegram's limits are raised for the run
(1,000 sends/s, 10 per chat) but the limiter stays on. The baseline is ``bench.ptb_reply``: one
python-telegram-bot ``Application`` under its own ``run_webhook``, answering the same text the same way.

Each chat first sends /start (TRT greets new users; PTB's first request warms it too). Then, per
round and side, users write at a fixed ``RATE`` per second over ``CHATS`` chats for ``SECONDS``
seconds through the emulator, which POSTs each update to the bot's webhook at once, as Telegram does.
A latency is from the moment the bench asked the emulator to send the text until the emulator
recorded the bot's reply quoting it. Sides alternate for ``ROUNDS`` rounds. Writes
``bench/results/reply.json``.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import aiohttp

from bench._support import (
    free_port,
    machine,
    private_database,
    private_redis,
    redis_persistence,
    serving,
    spread,
    venv_path,
)
from bench.startup import ROOT, all_up

RESULTS = Path(__file__).parent / "results" / "reply.json"
TRT_TOKEN = "123456:bench-trt"
PTB_TOKEN = "654321:bench-ptb"
SECRET = "bench-secret-of-at-least-32-characters"
RATE = int(os.environ.get("BENCH_REPLY_RATE", "100"))
CHATS = 200
SECONDS = int(os.environ.get("BENCH_REPLY_SECONDS", "10"))
ROUNDS = int(os.environ.get("BENCH_REPLY_ROUNDS", "3"))
FIRST_USER = 700_000


class Emulator:
    """The Bot API emulator's control API."""

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"

    def call(self, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + path, data=data, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)["result"]

    def replies(self, token: str, since: int) -> list[dict[str, Any]]:
        return list(self.call(f"/_emulator/calls?method=sendMessage&token={token}&since={since}"))

    def last_call(self) -> int:
        calls = self.call("/_emulator/calls")
        return int(calls[-1]["seq"]) if calls else 0


async def _write(emulator: Emulator, token: str, texts: list[tuple[int, str]], rate: float) -> list[Any]:
    """Send ``texts`` (user, text) at a fixed rate, open loop; (sent at, chat, message_id) each."""
    sent: list[Any] = []
    async with aiohttp.ClientSession() as session:

        async def one(user: int, text: str) -> None:
            body = {"user_id": user, "text": text, "token": token}
            at = time.time()
            async with session.post(f"{emulator.url}/_emulator/send_text", json=body) as response:
                message = (await response.json())["result"]["message"]
            sent.append((at, message["chat"]["id"], message["message_id"]))

        started, tasks = time.monotonic(), []
        for number, (user, text) in enumerate(texts):
            await asyncio.sleep(max(0.0, started + number / rate - time.monotonic()))
            tasks.append(asyncio.create_task(one(user, text)))
        await asyncio.gather(*tasks)
    return sent


def _latencies(emulator: Emulator, token: str, sent: list[Any], since: int) -> dict[str, Any]:
    """Wait for every reply (30 s at most); ms from send to the reply quoting each message."""
    wanted = {(chat, message_id): at for at, chat, message_id in sent}
    found: dict[tuple[int, int], float] = {}
    deadline = time.monotonic() + 30
    while len(found) < len(wanted) and time.monotonic() < deadline:
        time.sleep(0.5)
        for call in emulator.replies(token, since):
            quoted = (call["params"].get("reply_parameters") or {}).get("message_id")
            key = (int(call["params"]["chat_id"]), int(quoted or 0))
            if key in wanted and call["status"] == 200:
                found.setdefault(key, float(call["at"]))
    latencies = sorted((found[key] - wanted[key]) * 1000 for key in found)
    if len(latencies) < 2:
        bot = token.split(":")[0]
        raise RuntimeError(f"bot {bot}: {len(found)} of {len(sent)} texts got a reply quoting them")
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "sent": len(sent),
        "answered": len(found),
        "p50_ms": round(quantiles[49], 1),
        "p99_ms": round(quantiles[98], 1),
        "max_ms": round(latencies[-1], 1),
    }


def _measure(emulator: Emulator, token: str, round_number: int) -> dict[str, Any]:
    count = RATE * SECONDS
    texts = [(FIRST_USER + n % CHATS, f"hello {round_number}-{n}") for n in range(count)]
    since = emulator.last_call()
    sent = asyncio.run(_write(emulator, token, texts, RATE))
    return _latencies(emulator, token, sent, since)


def _greet(emulator: Emulator, token: str) -> None:
    """Every chat says /start once and gets its greeting before anything is measured."""
    since = emulator.last_call()
    asyncio.run(_write(emulator, token, [(FIRST_USER + n, "/start") for n in range(CHATS)], RATE))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        chats = {int(c["params"]["chat_id"]) for c in emulator.replies(token, since)}
        if len(chats) >= CHATS:
            return
        time.sleep(0.5)
    raise RuntimeError(f"only some chats were greeted by {token.split(':')[0]}")


def _system_env(
    home: Path, database_url: str, redis_url: str, port: int, telegram_url: str
) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": venv_path(),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": "bench:",
        "PORT": str(port),
        "TELEGRAM_BOT_TOKEN": TRT_TOKEN,
        "TELEGRAM_API_BASE_URL": telegram_url,
        "WEBHOOK_SECRET_TOKEN": SECRET,
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
        "BOT_WORKERS": "2",
        "KIE_API_KEY": "bench-kie-key",
        # No generation here: KIE's place is a closed local port, so nothing calls out of the machine.
        "KIE_API_BASE_URL": "http://127.0.0.1:9",
        "KIE_UPLOAD_BASE_URL": "http://127.0.0.1:9",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "TELEGRAM_RATE_PER_SECOND": "1000",
        "TELEGRAM_RATE_PER_CHAT_SECOND": "10",
        "RATE_LIMIT_MESSAGES_PER_MINUTE": "1000",
        "LOG_LEVEL": "WARNING",
    }


@contextmanager
def _whole_system(env: dict[str, str], home: Path, port: int) -> Iterator[None]:
    """supervisord with the real supervisor.conf until every program is RUNNING and /health answers."""
    (home / "var" / "log").mkdir(parents=True)
    shutil.copy(ROOT / "supervisor.conf", home / "supervisor.conf")
    subprocess.run([sys.executable, "-m", "shared.migrations"], env=env, check=True, capture_output=True)
    supervisord = shutil.which("supervisord") or "supervisord"
    process = subprocess.Popen(
        [supervisord, "-n", "-c", str(home / "supervisor.conf")],
        cwd=home,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not all_up(home, port):
            if time.monotonic() > deadline:
                raise RuntimeError("the system did not come up within 120 s")
            time.sleep(0.1)
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)


def run() -> dict[str, Any]:
    """Both bots up side by side; greet every chat, then alternate measured rounds."""
    telegram_port, port, ptb_port = free_port(), free_port(), free_port()
    telegram_url = f"http://127.0.0.1:{telegram_port}"
    emulator_args = [sys.executable, "-m", "emulators.telegram", "--port", str(telegram_port)]
    emulator_args += ["--token", TRT_TOKEN, PTB_TOKEN]
    ptb_args = [sys.executable, "-m", "bench.ptb_reply", str(ptb_port), SECRET, telegram_url, PTB_TOKEN]
    host = machine()
    with ExitStack() as stack:
        home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="trt-bench-reply-")))
        database_url = stack.enter_context(private_database())
        redis_url = stack.enter_context(private_redis())
        stack.enter_context(serving(emulator_args, telegram_port, dict(os.environ)))
        emulator = Emulator(telegram_port)
        for n in range(CHATS):
            emulator.call("/_emulator/users", {"first_name": f"u{n}", "user_id": FIRST_USER + n})
        stack.enter_context(
            _whole_system(_system_env(home, database_url, redis_url, port, telegram_url), home, port)
        )
        stack.enter_context(serving(ptb_args, ptb_port, dict(os.environ)))
        _greet(emulator, TRT_TOKEN)
        _greet(emulator, PTB_TOKEN)
        rounds = []
        for number in range(ROUNDS):
            sides = [("trt", TRT_TOKEN), ("ptb_application", PTB_TOKEN)][:: 1 - 2 * (number % 2)]
            rounds.append({name: _measure(emulator, token, number) for name, token in sides})
        persistence = redis_persistence(redis_url)
    summary = _summarise(rounds, persistence, host)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def _summarise(
    rounds: list[dict[str, Any]], persistence: dict[str, str], host: dict[str, Any]
) -> dict[str, Any]:
    def of(side: str, key: str) -> dict[str, float]:
        return spread([r[side][key] for r in rounds])

    return {
        "benchmark": "reply",
        "machine": host,
        "rate_per_s": RATE,
        "chats": CHATS,
        "seconds": SECONDS,
        "rounds": len(rounds),
        "redis": persistence,
        "trt_p50_ms": of("trt", "p50_ms"),
        "trt_p99_ms": of("trt", "p99_ms"),
        "ptb_p50_ms": of("ptb_application", "p50_ms"),
        "ptb_p99_ms": of("ptb_application", "p99_ms"),
        "p99_ratio": spread([r["trt"]["p99_ms"] / r["ptb_application"]["p99_ms"] for r in rounds]),
        "unanswered": sum(
            r[s]["sent"] - r[s]["answered"] for r in rounds for s in ("trt", "ptb_application")
        ),
        "runs": rounds,
    }


def _ms(figure: dict[str, float]) -> str:
    return f"{figure['median']:,.0f} ms ({figure['min']:,.0f}–{figure['max']:,.0f})"


def _missing(summary: dict[str, Any], side: str) -> str:
    runs = [r[side] for r in summary["runs"]]
    unanswered = sum(r["sent"] - r["answered"] for r in runs)
    return f"{unanswered} of {sum(r['sent'] for r in runs)} unanswered after 30 s"


def rows(summary: dict[str, Any]) -> list[str]:
    """The README's rows: p50 and p99 of each side, median (range) of the rounds."""
    shape = (
        f"{summary['rate_per_s']}/s over {summary['chats']} chats, {summary['rounds']}×{summary['seconds']} s"
    )
    return [
        f"| text → the bot's reply at the Bot API emulator, {shape} alternating, p99 (`reply`)"
        f" | {_ms(summary['trt_p99_ms'])}: whole system, 2 workers, appendfsync"
        f" {summary['redis']['appendfsync']}; {_missing(summary, 'trt')} | one PTB `Application`,"
        f" `run_webhook`, same reply: {_ms(summary['ptb_p99_ms'])}; {_missing(summary, 'ptb_application')}"
        f" | {summary['p99_ratio']['median']:.2f}× |",
        f"| same, p50 (`reply`) | {_ms(summary['trt_p50_ms'])} | {_ms(summary['ptb_p50_ms'])} | — |",
    ]


def table(summary: dict[str, Any]) -> str:
    lines = ["| round | side | sent | answered | p50 ms | p99 ms | max ms |", "|---|---|---|---|---|---|---|"]
    for number, r in enumerate(summary["runs"], 1):
        for side in ("trt", "ptb_application"):
            s = r[side]
            figures = " | ".join(str(s[key]) for key in ("sent", "answered", "p50_ms", "p99_ms", "max_ms"))
            lines.append(f"| {number} | {side} | {figures} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(table(run()) + "\n")
