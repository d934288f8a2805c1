"""Each program imports only what it uses: every module a process imports stays in its memory for good.

Measured after start with two bot workers (PSS from /proc/PID/smaps_rollup), python-telegram-bot and
aiohttp are each several MiB per process; these tests keep them out of the programs that never call them.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

# The module each program's __main__ runs → libraries it must not load at import (it has no use for them).
MUST_NOT_LOAD = {
    "services.lockkeeper.app": [
        "telegram",
        "aiohttp",
        "httpx",
        "shared.money.payments",
        "shared.catalog.registry",
    ],
    "services.webhook.app": ["telegram", "httpx", "tornado"],
    "services.warmup.app": ["telegram", "httpx"],
    # aiohttp too: the crash guard opens its HTTP session at the first admin alert.
    "services.listener.runner": ["telegram", "psycopg", "aiohttp"],
}


def loaded_modules(module: str) -> set[str]:
    """The modules a fresh interpreter holds after importing ``module``."""
    code = f"import sys, {module}; print('\\n'.join(sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(result.stdout.split())


class TestProgramImports:
    @pytest.mark.parametrize(("module", "libraries"), sorted(MUST_NOT_LOAD.items()))
    def test_program_does_not_load_what_it_never_uses(self, module: str, libraries: list[str]) -> None:
        """Importing the program loads none of the libraries it has no use for."""
        modules = loaded_modules(module)
        assert [library for library in libraries if library in modules] == []
