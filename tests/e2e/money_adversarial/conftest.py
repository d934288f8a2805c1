"""One running system for the whole money suite: its modules run in order, the books last."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from tests.conftest import REDIS_URL, free_port, fresh_database
from tests.e2e.conftest import BOT_TOKEN
from tests.e2e.emulators import emulator_process, kie_system_env
from tests.e2e.money_adversarial.world import (
    ADMIN_ID,
    BIG_PACK_CREDITS,
    BIG_PACK_STARS,
    KIE_KEY,
    MARKUP,
    PACK_CREDITS,
    PACK_STARS,
    World,
)
from tests.e2e.system import System, migrate, prepare_home, start, system_env
from tests.e2e.telegram_control import TelegramControl


@pytest.fixture(name="telegram_url", scope="package")
def _telegram_url(xprocess: Any) -> Iterator[str]:
    """The Bot API emulator, one for the whole package (the e2e conftest's is per module)."""
    yield from emulator_process(xprocess, "telegram", ["--token", BOT_TOKEN])


@pytest.fixture(name="kie_url", scope="package")
def _kie_url(xprocess: Any) -> Iterator[str]:
    """The KIE emulator; no task ends by itself: each phase lasts ten minutes unless ended by control."""
    options = ["--api-key", f"{KIE_KEY}=100000000", "--no-rate-limits", "--duration", "all=1800"]
    yield from emulator_process(xprocess, "kie", [*options, "--retry-delays", "0.3,0.6"])


@pytest.fixture(name="module_database", scope="package")
def _module_database() -> Iterator[str]:
    with fresh_database() as url:
        yield url


@pytest.fixture(name="module_prefix", scope="package")
def _module_prefix() -> Iterator[str]:
    prefix = f"trt-test:adv:{uuid.uuid4().hex[:8]}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(name="tg", scope="package")
def _tg(telegram_url: str) -> TelegramControl:
    return TelegramControl(telegram_url)


@pytest.fixture(name="world", scope="package")
def _world(
    xprocess: Any,
    tmp_path_factory: pytest.TempPathFactory,
    module_database: str,
    module_prefix: str,
    telegram_url: str,
    tg: TelegramControl,
    kie_url: str,
) -> Iterator[World]:
    port = free_port()
    env = system_env(
        DATABASE_URL=module_database,
        REDIS_KEY_PREFIX=module_prefix,
        HOST_ID=f"host-{uuid.uuid4().hex[:6]}",
        TELEGRAM_BOT_TOKEN=BOT_TOKEN,
        TELEGRAM_API_BASE_URL=telegram_url,
        **kie_system_env(port, kie_url, KIE_KEY),
        ADMIN_IDS=str(ADMIN_ID),
        PRICE_MARKUP=str(MARKUP),
        CREDIT_PACKS=f"{PACK_CREDITS}:{PACK_STARS},{BIG_PACK_CREDITS}:{BIG_PACK_STARS}",
        JOBS_SWEEP_INTERVAL_SECONDS="0.5",
    )
    migrate(env)

    def ready(system: System) -> bool:  # the first update must not wait for setWebhook
        return system.all_running() and f":{port}/" in str(tg.webhook()["info"]["url"])

    home = prepare_home(tmp_path_factory.mktemp("money-adversarial"))
    running = start(xprocess, home, port, env, ready=ready)
    system = next(running)
    try:
        tg.clear_faults()
        if ADMIN_ID not in tg.user_ids():
            tg.create_user_as("Admin", ADMIN_ID, "en")
        yield World(system, tg, kie_url, module_database)
    finally:
        tg.clear_faults()
        running.close()
