"""Each program imports only what it uses: every module a process imports stays in its memory for good.

Measured after start with two bot workers (PSS from /proc/PID/smaps_rollup), python-telegram-bot and
aiohttp are each several MiB per process; these tests keep them out of the programs that never call them.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

# Program → libraries it must not load at import (it has no use for them).
MUST_NOT_LOAD = {
    "lockkeeper": ["telegram", "aiohttp", "httpx", "shared.money.payments", "shared.catalog.registry"],
    "webhook": ["telegram", "httpx", "tornado"],
    "warmup": ["telegram", "httpx"],
    "listener": ["telegram", "psycopg", "pydantic_settings"],
}


def loaded_modules(program: str) -> set[str]:
    """The modules a fresh interpreter holds after importing the program's app module."""
    code = f"import sys, services.{program}.app; print('\\n'.join(sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(result.stdout.split())


class TestProgramImports:
    @pytest.mark.parametrize(("program", "libraries"), sorted(MUST_NOT_LOAD.items()))
    def test_program_does_not_load_what_it_never_uses(self, program: str, libraries: list[str]) -> None:
        """Importing the program loads none of the libraries it has no use for."""
        modules = loaded_modules(program)
        assert [library for library in libraries if library in modules] == []
