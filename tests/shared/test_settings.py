"""Settings: every variable validated at start, with one clear line naming what is wrong."""

from __future__ import annotations

import pytest

from shared.errors import ConfigError
from shared.settings import BotMode, LogFormat, load_settings

BAD_VALUES = {
    "PORT": "abc",
    "REDIS_URL": "http://127.0.0.1:6379",
    "DATABASE_URL": "mysql://root@localhost/trt",
    "REDIS_CONNECT_TIMEOUT_SECONDS": "-1",
    "DATABASE_CONNECT_TIMEOUT_SECONDS": "zero",
    "BOOT_WARMUP_BUDGET_SECONDS": "0",
    "LEASE_TTL_SECONDS": "0.1",
    "HEARTBEAT_INTERVAL_SECONDS": "soon",
    "BOT_MODE": "carrier-pigeon",
    "LOCK_BACKEND": "zookeeper",
    "LOG_FORMAT": "xml",
    "LOG_LEVEL": "LOUD",
    "ADMIN_IDS": "12,alice",
    "TELEGRAM_API_BASE_URL": "ftp://api.telegram.org",
    "KIE_API_BASE_URL": "api.kie.ai",
    "KIE_UPLOAD_BASE_URL": "//upload",
    "WEBHOOK_URL": "not a url",
    "PUBLIC_BASE_URL": "example.org",
    "WEBHOOK_SECRET_TOKEN": "has spaces!",
}


class TestLoadSettings:
    def test_defaults_are_valid(self) -> None:
        """An empty environment gives working defaults for local development."""
        settings = load_settings({})
        assert settings.PORT == 10000
        assert settings.BOT_MODE is BotMode.WEBHOOK
        assert settings.LOG_FORMAT is LogFormat.JSON
        assert settings.TELEGRAM_API_BASE_URL == "https://api.telegram.org"

    @pytest.mark.parametrize("variable", sorted(BAD_VALUES))
    def test_bad_value_names_the_variable(self, variable: str) -> None:
        """A malformed value raises ConfigError whose single line starts with the variable's name."""
        with pytest.raises(ConfigError) as caught:
            load_settings({variable: BAD_VALUES[variable]})
        message = str(caught.value)
        assert message.startswith(f"{variable}: ")
        assert "\n" not in message

    def test_secret_values_are_not_echoed(self) -> None:
        """A rejected secret is described, never repeated back."""
        with pytest.raises(ConfigError) as caught:
            load_settings({"WEBHOOK_SECRET_TOKEN": "leaky secret value"})
        assert "leaky" not in str(caught.value)

    def test_webhook_mode_needs_a_long_secret(self) -> None:
        """A short (even a 31-character) secret is refused in webhook mode, naming its length only."""
        for secret in ("Jj7", "Jj7" * 10 + "J"):
            with pytest.raises(ConfigError) as caught:
                load_settings({"WEBHOOK_SECRET_TOKEN": secret}).require_webhook_secret()
            assert str(caught.value).startswith("WEBHOOK_SECRET_TOKEN: too short")
            assert secret not in str(caught.value)
        assert load_settings({"WEBHOOK_SECRET_TOKEN": "z" * 32}).require_webhook_secret()

    def test_admin_ids_parse_as_a_set(self) -> None:
        """ADMIN_IDS is a comma-separated list of Telegram ids."""
        assert frozenset({1, 22, 333}) == load_settings({"ADMIN_IDS": "1, 22,333"}).ADMIN_IDS

    def test_missing_bot_token_is_reported_when_required(self) -> None:
        """Programs that talk to Telegram refuse to start without a token, naming the variable."""
        with pytest.raises(ConfigError, match=r"^TELEGRAM_BOT_TOKEN: required"):
            load_settings({}).require_telegram()

    def test_base_urls_lose_trailing_slash(self) -> None:
        """Base URLs are normalised so that method URLs never contain a double slash."""
        settings = load_settings(
            {"TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/", "TELEGRAM_BOT_TOKEN": "1:x"}
        )
        assert settings.telegram_method_url("getMe") == "http://127.0.0.1:8081/bot1:x/getMe"


class TestSecretValues:
    def test_every_secret_and_url_password_is_listed(self) -> None:
        """Tokens, keys and passwords inside URLs are all handed to the log redactor."""
        settings = load_settings(
            {
                "TELEGRAM_BOT_TOKEN": "111:token-value",
                "KIE_API_KEY": "kie-key-value",
                "DATABASE_URL": "postgresql://trt:pg-password@db/trt",
                "REDIS_URL": "redis://:redis-password@cache:6379/0",
            }
        )
        secrets = set(settings.secret_values())
        assert {"111:token-value", "kie-key-value", "pg-password", "redis-password"} <= secrets


class TestKieKey:
    """Whether a KIE key is configured is decided in one place, `Settings.kie_api_key`."""

    @pytest.mark.parametrize(("value", "expected"), [(None, None), ("", None), ("k-1", "k-1")])
    def test_unset_and_empty_read_alike(self, value: str | None, expected: str | None) -> None:
        """An unset and an empty KIE_API_KEY both mean "no key"; require_kie_key names the variable."""
        from shared.settings import Settings

        settings = Settings(KIE_API_KEY=value)
        assert settings.kie_api_key() == expected
        if expected is None:
            with pytest.raises(ConfigError, match="KIE_API_KEY: required, for the test"):
                settings.require_kie_key("for the test")

    def test_no_program_repeats_the_check(self) -> None:
        """No module but the settings inspects KIE_API_KEY's value itself."""
        from pathlib import Path

        root = Path(__file__).resolve().parents[2]
        offenders = [
            str(path.relative_to(root))
            for folder in ("services", "shared")
            for path in (root / folder).rglob("*.py")
            if "KIE_API_KEY.get_secret_value" in path.read_text(encoding="utf-8")
            and path.name != "settings.py"
        ]
        assert offenders == []


class TestFieldsWithoutPydantic:
    """shared/env.py reads each variable by its field's type; values given in code pass the same checks."""

    def test_values_from_code_are_checked_too(self) -> None:
        """A wrong value given to the constructor is refused like the same text in the environment."""
        from shared.settings import Settings

        with pytest.raises(ConfigError, match=r"^PORT: expected at least 1"):
            Settings(PORT=0)
        assert Settings(KIE_API_KEY="k-1").kie_api_key() == "k-1"  # type: ignore[arg-type]  # text is read

    @pytest.mark.parametrize(
        ("text", "expected"), [("yes", True), ("0", False), ("TRUE", True), ("off", False)]
    )
    def test_booleans_read_as_words(self, text: str, expected: bool) -> None:
        assert load_settings({"ALLOW_UNVERIFIED_PRICES": text}).ALLOW_UNVERIFIED_PRICES is expected

    def test_secrets_never_show_in_the_settings_repr(self) -> None:
        """A settings object in a log line or a traceback shows no token."""
        settings = load_settings({"TELEGRAM_BOT_TOKEN": "111:token-value", "KIE_API_KEY": "kie-key-value"})
        assert "token-value" not in repr(settings) and "kie-key-value" not in repr(settings)

    def test_blank_optional_values_read_as_unset(self) -> None:
        settings = load_settings({"DAILY_SPEND_CAP_CREDITS": " ", "CATALOG_REGISTRY_PATH": ""})
        assert settings.DAILY_SPEND_CAP_CREDITS is None and settings.CATALOG_REGISTRY_PATH is None
