"""The chaos suite's world: private PostgreSQL and Redis, both emulators, and two supervised TRT hosts:
``chaos-host`` in this network namespace and ``chaos-host-b`` in one of its own (``network``), which
reaches the servers and emulators on the network's service address.

The suite is long (several minutes) and is not part of ``make test``: ``test_chaos.py`` is collected only
when ``TRT_CHAOS=1`` (``make chaos`` sets it); the figures' own unit tests always are.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.jobs.callback_url import callback_secret
from shared.keys import Keys
from shared.secret import SecretStr
from shared.settings import Settings
from tests.chaos.botapi import refuse_profile
from tests.chaos.network import HostNetwork
from tests.chaos.runner import ChaosWorld
from tests.chaos.servers import DurableRedis, PrivatePostgres
from tests.chaos.state import StateProbe
from tests.conftest import free_port
from tests.e2e.conftest import BOT_TOKEN
from tests.e2e.emulators import emulator_process
from tests.e2e.system import WEBHOOK_SECRET, migrate, prepare_home, start, system_env
from tests.e2e.telegram_control import TelegramControl

collect_ignore_glob = [] if os.environ.get("TRT_CHAOS") == "1" else ["test_chaos.py"]

KIE_KEY = "kie-chaos-key"
LEASE_TTL = 3.0
PREFIX = "trt:"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "chaos: the chaos suite (make chaos), excluded from make test")


@pytest.fixture(name="network", scope="module")
def _network() -> Iterator[HostNetwork]:
    """The second host's namespace and the service address everything shared listens on."""
    network = HostNetwork()
    try:
        network.open()
        yield network
    finally:
        network.close()


@pytest.fixture(name="chaos_postgres", scope="module")
def _chaos_postgres(network: HostNetwork) -> Iterator[PrivatePostgres]:
    """A PostgreSQL cluster of the suite's own, migrated."""
    server = PrivatePostgres(also_on=network.service_address, clients=network.subnet)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture(name="chaos_redis", scope="module")
def _chaos_redis(network: HostNetwork) -> Iterator[DurableRedis]:
    directory = Path(tempfile.mkdtemp(prefix="trt-chaos-redis-"))
    server = DurableRedis(directory, also_on=network.service_address)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(name="telegram_url", scope="module")
def _telegram_url(xprocess: Any, network: HostNetwork) -> Iterator[str]:
    """The Bot API emulator on the service address."""
    yield from emulator_process(xprocess, "telegram", ["--token", BOT_TOKEN], network.service_address)


@pytest.fixture(name="kie_url", scope="module")
def _kie_url(xprocess: Any, network: HostNetwork) -> Iterator[str]:
    """The KIE emulator on the service address: 1-second tasks, quick callback retries, no rate limits."""
    options = ["--api-key", f"{KIE_KEY}=100000000", "--no-rate-limits", "--duration", "all=1"]
    options += ["--retry-delays", "0.3,0.6,1.2", "--seed", "23"]
    yield from emulator_process(xprocess, "kie", options, network.service_address)


@pytest.fixture(name="chaos_world")
def _chaos_world(
    xprocess: Any,
    telegram_url: str,
    kie_url: str,
    chaos_postgres: PrivatePostgres,
    chaos_redis: DurableRedis,
    network: HostNetwork,
) -> Iterator[ChaosWorld]:
    """Both hosts on the private servers, every program of each RUNNING; Telegram and KIE call this
    namespace's host (as a load balancer in front of both would)."""
    port = free_port()
    env = _host_env(port, telegram_url, kie_url, chaos_postgres.url, chaos_redis.url, HOST_ID="chaos-host")
    second_env = _host_env(
        port,
        telegram_url,
        kie_url,
        chaos_postgres.url_on(network.service_address),
        chaos_redis.url_on(network.service_address),
        HOST_ID="chaos-host-b",
        PORT=str(free_port()),
    )
    migrate(env)
    refuse_profile(TelegramControl(telegram_url))
    homes = [Path(tempfile.mkdtemp(prefix=f"trt-chaos-{name}-")) for name in ("a", "b")]
    try:
        for system in start(xprocess, prepare_home(homes[0]), port, env):
            second_port = int(second_env["PORT"])
            for second in start(
                xprocess, prepare_home(homes[1]), second_port, second_env, prefix=network.exec_prefix()
            ):
                settings = Settings(KIE_API_KEY=SecretStr(KIE_KEY))
                key = callback_secret(settings)
                assert key is not None
                yield ChaosWorld(
                    system=system,
                    second=second,
                    network=network,
                    telegram=TelegramControl(telegram_url),
                    kie_url=kie_url,
                    redis=chaos_redis,
                    postgres=chaos_postgres,
                    probe=StateProbe(chaos_redis.url, chaos_postgres.url, Keys(PREFIX)),
                    secret=WEBHOOK_SECRET,
                    callback_key=key,
                    lease_ttl=LEASE_TTL,
                )
    finally:
        for home in homes:
            shutil.rmtree(home, ignore_errors=True)


def _host_env(
    port: int, telegram_url: str, kie_url: str, database_url: str, redis_url: str, **overrides: str
) -> dict[str, str]:
    """One host's settings; ``port`` is the public one (the first host's), where Telegram and KIE call."""
    return system_env(
        PORT=overrides.pop("PORT", str(port)),
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        REDIS_KEY_PREFIX=PREFIX,
        TELEGRAM_BOT_TOKEN=BOT_TOKEN,
        TELEGRAM_API_BASE_URL=telegram_url,
        WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/webhook",
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        KIE_API_KEY=KIE_KEY,
        KIE_API_BASE_URL=kie_url,
        KIE_UPLOAD_BASE_URL=kie_url,
        KIE_CREATE_TASKS_PER_10_SECONDS="400",
        JOBS_CALLBACK_GRACE_SECONDS="2",
        JOBS_SWEEP_INTERVAL_SECONDS="0.5",
        JOBS_CLAIM_IDLE_SECONDS="3",
        JOBS_OUTBOX_POLL_SECONDS="0.2",
        LEASE_TTL_SECONDS=str(LEASE_TTL),
        # Faults here are deliberate: the crash guard must not stop a program this suite kills repeatedly.
        RESTART_INTENSITY="100",
        RATE_LIMIT_MESSAGES_PER_MINUTE="10000",
        RATE_LIMIT_BUTTONS_PER_MINUTE="10000",
        # Replies to 100 updates a second: above Telegram's 30/s broadcast limit, which the shared rate
        # limiter would otherwise hold every worker to (the emulator does not enforce it).
        TELEGRAM_RATE_PER_SECOND="300",
        **overrides,
    )
