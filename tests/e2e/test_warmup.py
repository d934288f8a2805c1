"""The catalogue warmup end to end: real supervisord, the KIE emulator, and a broken registry edit."""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from shared.catalog import DEFAULT_REGISTRY_PATH, load_registry
from shared.keys import Keys
from tests.conftest import REDIS_URL, free_port
from tests.e2e.emulators import emulator_process
from tests.e2e.system import FORBIDDEN_LOG_TEXT, System, migrate, prepare_home, start, wait_until

pytestmark = pytest.mark.e2e

KIE_KEY = "kie-warmup-e2e-key"
LOW_BALANCE = 100


@pytest.fixture(name="kie_url")
def _kie_url(xprocess: Any) -> Iterator[str]:
    """The KIE emulator (no catalogue endpoints) with fewer credits than the alert level."""
    yield from emulator_process(xprocess, "kie", ["--api-key", f"{KIE_KEY}=50"])


@pytest.fixture(name="registry_copy")
def _registry_copy(tmp_path: Path) -> Path:
    path = tmp_path / "catalog" / "registry.json"
    path.parent.mkdir()
    shutil.copy(DEFAULT_REGISTRY_PATH, path)
    return path


@pytest.fixture(name="warmup_system")
def _warmup_system(
    xprocess: Any, tmp_path: Path, system_env_factory: Any, kie_url: str, registry_copy: Path
) -> Iterator[System]:
    port = free_port()
    env = system_env_factory(
        PORT=str(port),
        WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/webhook",
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        KIE_API_KEY=KIE_KEY,
        KIE_API_BASE_URL=kie_url,
        KIE_UPLOAD_BASE_URL=kie_url,
        CATALOG_REGISTRY_PATH=str(registry_copy),
        KIE_LOW_BALANCE_CREDITS=str(LOW_BALANCE),
    )
    migrate(env)
    yield from start(xprocess, prepare_home(tmp_path), port, env)


@pytest.fixture(name="sync_redis")
def _sync_redis() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL)
    yield client
    client.close()


def ready(system: System) -> dict[str, Any]:
    """GET /ready whatever its status."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{system.port}/ready", timeout=5) as response:
            return dict(json.load(response))
    except urllib.error.HTTPError as exc:
        with exc:
            return dict(json.load(exc))


def current_version(client: redis.Redis, keys: Keys) -> str | None:
    raw = client.get(keys.catalog_current)
    return None if raw is None else bytes(raw).decode()


def low_balance_alerts(client: redis.Redis, keys: Keys) -> list[dict[bytes, bytes]]:
    rows: Any = client.xrange(keys.alerts)
    return [fields for _, fields in rows if fields.get(b"kind") == b"kie_low_balance"]


def break_price(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    next(m for m in document["models"] if m["id"] == "google/imagen4")["price"]["base"] = -8
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")


class TestWarmup:
    def test_broken_registry_keeps_the_last_good_snapshot(
        self, warmup_system: System, sync_redis: redis.Redis, registry_copy: Path
    ) -> None:
        """Warmup serves version X; a broken file and a restart leave X current and /ready catalog true."""
        system, keys = warmup_system, Keys(warmup_system.env["REDIS_KEY_PREFIX"])
        version = load_registry(registry_copy, allow_unverified=False).version
        wait_until(lambda: ready(system)["checks"].get("catalog"), 30, "/ready reporting the catalogue")
        assert current_version(sync_redis, keys) == version

        # The leader's duties meet the emulator: no catalogue endpoint (404, tolerated), a low balance.
        wait_until(lambda: "kie_catalogue_unavailable" in system.logs()["warmup.log"], 30, "refresh 404")
        (alert,) = wait_until(lambda: low_balance_alerts(sync_redis, keys), 30, "a low-balance alert")
        assert alert[b"credits"] == b"50" and alert[b"threshold"] == str(LOW_BALANCE).encode()
        assert current_version(sync_redis, keys) == version

        break_price(registry_copy)
        result = system.ctl("restart", "warmup")
        assert result.returncode == 0, result.stderr
        wait_until(
            lambda: system.health()["programs"].get("warmup", {}).get("state") == "degraded",
            30,
            "warmup degraded after the broken edit",
        )
        log = system.logs()["warmup.log"]
        invalid = [json.loads(line) for line in log.splitlines() if '"catalog_invalid"' in line]
        assert invalid and invalid[-1]["level"] == "error"
        assert invalid[-1]["model"] == "google/imagen4" and invalid[-1]["field"] == "price.base"
        assert current_version(sync_redis, keys) == version
        assert ready(system)["checks"]["catalog"] is True
        assert system.processes()["warmup"]["statename"] == "RUNNING"
        for text in FORBIDDEN_LOG_TEXT:
            assert text not in log, text
