"""Fixtures that run the real programs: the Bot API emulator and a supervised TRT system."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port
from tests.e2e.emulators import emulator_process
from tests.e2e.system import System, migrate, prepare_home, start, system_env
from tests.e2e.telegram_control import TelegramControl

BOT_TOKEN = "123456:TEST-token-for-emulator-only"


@pytest.fixture(name="telegram_url", scope="module")
def _telegram_url(xprocess: Any) -> Iterator[str]:
    """The project's Bot API emulator, as a separate process on a free port."""
    yield from emulator_process(xprocess, "telegram", ["--token", BOT_TOKEN])


@pytest.fixture(name="database_url")
def _e2e_database_url(private_database_url: str) -> str:
    """Each e2e test gets a fresh, migrated database: no test sees another's users or jobs."""
    return private_database_url


@pytest.fixture(name="telegram")
def _telegram(telegram_url: str) -> TelegramControl:
    return TelegramControl(telegram_url)


@pytest.fixture(name="system_env_factory")
def _system_env_factory(database_url: str, key_prefix: str, telegram_url: str) -> Any:
    def build(**overrides: str) -> dict[str, str]:
        return system_env(
            DATABASE_URL=database_url,
            REDIS_KEY_PREFIX=key_prefix,
            HOST_ID=f"host-{uuid.uuid4().hex[:6]}",
            TELEGRAM_BOT_TOKEN=BOT_TOKEN,
            TELEGRAM_API_BASE_URL=telegram_url,
            **overrides,
        )

    return build


@pytest.fixture(name="system")
def _system(xprocess: Any, tmp_path: Path, system_env_factory: Any) -> Iterator[System]:
    """A running TRT system with every program RUNNING; stopped with SIGTERM afterwards."""
    port = free_port()
    env = system_env_factory(PORT=str(port), WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/webhook")
    migrate(env)
    yield from start(xprocess, prepare_home(tmp_path), port, env)
