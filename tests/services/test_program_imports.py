"""Each program imports only what it uses: every module a process imports stays in its memory for good.

Measured after start with two bot workers (PSS from /proc/PID/smaps_rollup, ``make bench
BENCH=startup``): python-telegram-bot is about 9 MiB of a process, aiohttp 5, pydantic with
pydantic-settings 6, PTB's webhook server (tornado) 2; these tests keep each out of the programs that
never call it. Each program is started as supervisord starts it (``python -m services.<program>``)
with a wrong setting, so it stops right after importing what its entry point imports.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from shared.exitcodes import EXIT_CONFIG

# Every program: settings are checked by shared/env.py, not pydantic.
EVERY_PROGRAM = ["pydantic", "pydantic_settings", "pydantic_core"]
# The entry point supervisord runs → libraries it must not load (it has no use for them).
MUST_NOT_LOAD = {
    "services.lockkeeper": [
        *EVERY_PROGRAM,
        "telegram",
        "aiohttp",
        "httpx",
        "shared.money.payments",
        "shared.catalog.registry",
    ],
    # /ready reads the catalogue pointer and callbacks are verified, never a model read or KIE called.
    "services.webhook": [
        *EVERY_PROGRAM,
        "telegram",
        "httpx",
        "tornado",
        "shared.catalog.registry",
        "shared.kie.client",
    ],
    "services.warmup": [*EVERY_PROGRAM, "telegram", "httpx"],
    # aiohttp too: the crash guard opens its HTTP session at the first admin alert; no program
    # lifecycle either (shared.process brings PostgreSQL and uvloop).
    "services.listener": [*EVERY_PROGRAM, "telegram", "psycopg", "aiohttp", "uvloop", "shared.process"],
    # PTB, but not its webhook server: neither serves PTB webhooks.
    "services.bot": [*EVERY_PROGRAM, "tornado"],
    "services.jobs": [*EVERY_PROGRAM, "tornado"],
}


def loaded_modules(program: str) -> set[str]:
    """The modules ``python -m program`` imports before it stops for a wrong setting (LOG_LEVEL)."""
    env = {**os.environ, "LOG_LEVEL": "LOUD"}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", program], env=env, capture_output=True, text=True
    )
    assert result.returncode == EXIT_CONFIG, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    return {line.rsplit("|", 1)[1].strip() for line in lines[1:]}


class TestProgramImports:
    @pytest.mark.parametrize(("program", "libraries"), sorted(MUST_NOT_LOAD.items()))
    def test_program_does_not_load_what_it_never_uses(self, program: str, libraries: list[str]) -> None:
        """Starting the program loads none of the libraries it has no use for."""
        modules = loaded_modules(program)
        assert "shared.settings" in modules  # the program did get as far as its settings
        assert [library for library in libraries if library in modules] == []
