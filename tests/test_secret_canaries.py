"""A canary in every secret variable; no output may show one: settings errors, logs in both formats
(tracebacks included), and the reason the crash guard relays to the alerts stream and the admins."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.listener.explain import find_config_reason
from shared.env import field_types
from shared.errors import ConfigError
from shared.secret import SecretStr
from shared.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
SECRET_FIELDS = sorted(name for name, kind in field_types(Settings).items() if "SecretStr" in str(kind))
CANARIES = {name: f"CANARY{index:02d}_{'x' * 30}" for index, name in enumerate(SECRET_FIELDS)}
DB_PASSWORD = "CANARYdbpassword"
REDIS_PASSWORD = "CANARYredispassword"
ALL = [*CANARIES.values(), DB_PASSWORD, REDIS_PASSWORD]


def environment(**overrides: str) -> dict[str, str]:
    """The process environment with a canary in every secret variable and URL password."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRT_", "SUPERVISOR_"))}
    env.update(CANARIES)
    env["DATABASE_URL"] = f"postgresql://trt:{DB_PASSWORD}@127.0.0.1:5432/trt"
    env["REDIS_URL"] = f"redis://:{REDIS_PASSWORD}@127.0.0.1:6379/0"
    env.update(overrides)
    return env


def assert_clean(text: str, where: str) -> None:
    leaked = [canary for canary in ALL if canary in text]
    assert not leaked, f"{where} shows {leaked}: {text[:2000]}"


_LOGGING_SCRIPT = """
import logging, sys
import structlog
from shared.logging import configure_logging
from shared.settings import LogFormat, load_settings
settings = load_settings()
configure_logging("canary", "INFO", LogFormat(sys.argv[1]), settings.secret_values())
everything = " ".join(settings.secret_values()) + " " + settings.DATABASE_URL + " " + settings.REDIS_URL
log = structlog.get_logger()
log.info("fields", value=everything, nested={"list": [everything]})
try:
    raise RuntimeError("request to https://api.telegram.org/bot" + everything + " failed")
except RuntimeError:
    log.exception("structlog_traceback")
    logging.getLogger("ptb").exception("stdlib_traceback")
"""


class TestSecretCanaries:
    def test_every_secret_variable_has_a_canary(self) -> None:
        """The canaries cover the bot token, the webhook secret, the KIE key and HMAC, the health token."""
        assert {"TELEGRAM_BOT_TOKEN", "WEBHOOK_SECRET_TOKEN", "KIE_API_KEY"} <= set(CANARIES)

    @pytest.mark.parametrize("variable", ["DATABASE_URL", "REDIS_URL"])
    def test_settings_errors_mask_url_passwords(self, variable: str) -> None:
        """A malformed URL is named and shown, its password masked."""
        bad = {
            "DATABASE_URL": f"mysql://trt:{DB_PASSWORD}@h/db",
            "REDIS_URL": f"http://:{REDIS_PASSWORD}@h/0",
        }
        with pytest.raises(ConfigError) as error:
            load_settings(environment(**{variable: bad[variable]}))
        assert str(error.value).startswith(variable)
        assert_clean(str(error.value), "the settings error")

    def test_settings_errors_hide_secret_values(self) -> None:
        """A secret that fails validation is named, never shown."""
        with pytest.raises(ConfigError) as error:
            load_settings(environment(HEALTH_TOKEN="CANARYshort"))
        assert "HEALTH_TOKEN" in str(error.value) and "CANARYshort" not in str(error.value)

    def test_a_program_stopped_by_its_settings_prints_no_secret(self) -> None:
        """The plain stderr line of a program refusing its settings (what the crash guard relays)."""
        env = environment(DATABASE_URL=f"mysql://trt:{DB_PASSWORD}@h/db")
        done = subprocess.run(
            [sys.executable, "-m", "services.webhook"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 78, done.stderr
        assert "DATABASE_URL" in done.stderr
        assert_clean(done.stdout + done.stderr, "the program's output")

    @pytest.mark.parametrize("fmt", ["json", "console"])
    def test_logs_in_both_formats_show_no_secret(self, fmt: str) -> None:
        """Fields, structlog and stdlib tracebacks quoting every secret are all scrubbed."""
        done = subprocess.run(
            [sys.executable, "-c", _LOGGING_SCRIPT, fmt],
            env=environment(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "stdlib_traceback" in done.stdout and "***" in done.stdout
        assert "Traceback" in done.stdout
        assert_clean(done.stdout + done.stderr, f"the {fmt} log")

    def test_the_crash_guard_relays_no_secret(self) -> None:
        """The reason put on the alerts stream and sent to the admins masks URL passwords."""
        tail = f"webhook: configuration error: DATABASE_URL: bad (got 'mysql://trt:{DB_PASSWORD}@h/db')\n"
        reason = find_config_reason(tail)
        assert reason is not None and "DATABASE_URL" in reason
        assert_clean(reason, "the relayed reason")

    def test_secret_values_cover_every_canary(self) -> None:
        """What logging is told to redact includes every canary."""
        settings = Settings(**{name: SecretStr(value) for name, value in CANARIES.items()})  # type: ignore[arg-type]
        assert set(CANARIES.values()) <= set(settings.secret_values())
