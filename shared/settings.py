"""Settings: every environment variable TRT reads, validated once at program start.

Nothing else in the project reads ``os.environ``. A bad or missing value raises :class:`ConfigError`
with one line naming the variable and what is expected.
"""

from __future__ import annotations

import socket
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shared.errors import ConfigError
from shared.money.packs import CreditPack, PackError, parse_packs
from shared.redaction import mask_url_passwords

__all__ = ["BotMode", "EventLoop", "LockBackend", "LogFormat", "Settings", "load_settings"]

DEFAULT_CREDIT_PACKS = "100:50,500:225,1500:600"
"""credits:stars pairs on sale when CREDIT_PACKS is not set."""

_SECRET_TOKEN_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


# The secret is all that tells Telegram's POSTs from anyone's: long enough that it cannot be guessed.
MIN_WEBHOOK_SECRET = 32


class BotMode(StrEnum):
    WEBHOOK = "webhook"
    POLLING = "polling"


class LogFormat(StrEnum):
    JSON = "json"
    CONSOLE = "console"


class EventLoop(StrEnum):
    UVLOOP = "uvloop"
    ASYNCIO = "asyncio"


class LockBackend(StrEnum):
    REDIS = "redis"
    POSTGRES = "postgres"


class Settings(BaseSettings):
    """All of TRT's configuration. Frozen: built once per process and passed down."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=True)

    TELEGRAM_BOT_TOKEN: SecretStr | None = None
    TELEGRAM_API_BASE_URL: str = "https://api.telegram.org"
    BOT_MODE: BotMode = BotMode.WEBHOOK
    WEBHOOK_URL: str | None = None
    WEBHOOK_SECRET_TOKEN: SecretStr | None = None
    # Bearer token for GET /health/details on the public port; unset, details are on the metrics port only.
    HEALTH_TOKEN: SecretStr | None = Field(default=None, min_length=32)
    PORT: int = Field(default=10000, ge=1, le=65535)
    BIND_HOST: str = "127.0.0.1"
    PUBLIC_BASE_URL: str | None = None
    KIE_API_KEY: SecretStr | None = None
    KIE_API_BASE_URL: str = "https://api.kie.ai"
    KIE_UPLOAD_BASE_URL: str = "https://kieai.redpandaai.co"
    KIE_WEBHOOK_HMAC_KEY: SecretStr | None = None
    KIE_CALLBACK_SECRET: SecretStr | None = None
    KIE_CREATE_TASKS_PER_10_SECONDS: int = Field(default=20, ge=1, le=10_000)
    JOBS_CONCURRENCY: int = Field(default=8, ge=1, le=256)
    JOBS_OUTBOX_POLL_SECONDS: float = Field(default=0.5, gt=0, le=60)
    JOBS_CALLBACK_GRACE_SECONDS: float = Field(default=10.0, ge=0, le=3600)
    JOBS_SWEEP_INTERVAL_SECONDS: float = Field(default=1.0, gt=0, le=60)
    JOBS_CLAIM_IDLE_SECONDS: float = Field(default=30.0, ge=1, le=3600)
    DATABASE_URL: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    DATABASE_CONNECT_TIMEOUT_SECONDS: float = Field(default=5.0, gt=0, le=120)
    REDIS_URL: str = "redis://127.0.0.1:6379/0"
    REDIS_KEY_PREFIX: str = "trt:"
    REDIS_CONNECT_TIMEOUT_SECONDS: float = Field(default=5.0, gt=0, le=120)
    BOOT_WARMUP_BUDGET_SECONDS: float = Field(default=30.0, gt=0, le=600)
    CATALOG_REGISTRY_PATH: Path | None = None
    ALLOW_UNVERIFIED_PRICES: bool = False
    CATALOG_REFRESH_INTERVAL_SECONDS: float = Field(default=21600.0, ge=1, le=7 * 86400)
    KIE_LOW_BALANCE_CREDITS: float = Field(default=1000.0, ge=0)
    KIE_BALANCE_CHECK_INTERVAL_SECONDS: float = Field(default=300.0, ge=1, le=86400)
    # How often the leader compares what KIE consumed with what jobs were priced at; 0 turns it off.
    CATALOG_COST_WATCH_SECONDS: float = Field(default=60.0, ge=0, le=86400)
    LEASE_TTL_SECONDS: float = Field(default=15.0, ge=1, le=600)
    LOCK_BACKEND: LockBackend = LockBackend.REDIS
    HEARTBEAT_INTERVAL_SECONDS: float = Field(default=2.0, gt=0, le=60)
    HOST_ID: str = Field(default_factory=socket.gethostname, min_length=1, max_length=64)
    TELEGRAM_RATE_PER_SECOND: int = Field(default=30, ge=1, le=10_000)
    TELEGRAM_RATE_PER_CHAT_SECOND: int = Field(default=1, ge=1, le=1_000)
    TELEGRAM_RATE_PER_GROUP_MINUTE: int = Field(default=20, ge=1, le=10_000)
    BOT_CONCURRENCY: int = Field(default=64, ge=1, le=1_000)
    INBOX_CLAIM_IDLE_SECONDS: float = Field(default=15.0, ge=1, le=3600)
    INBOX_TURN_TIMEOUT_SECONDS: float = Field(default=120.0, ge=1, le=3600)
    ADMIN_IDS: Annotated[frozenset[int], NoDecode] = frozenset()
    # Operations: per-process metrics ports (0 = off) and the crash guard's restart intensity.
    METRICS_PORT_BASE: int = Field(default=0, ge=0, le=65000)
    RESTART_INTENSITY: int = Field(default=5, ge=1, le=1000)
    RESTART_PERIOD_SECONDS: float = Field(default=60.0, gt=0, le=86400)
    ALERT_COLLAPSE_SECONDS: float = Field(default=10.0, ge=0, le=3600)
    SUPERVISOR_PROCESS_NAME: str | None = None
    SUPERVISOR_GROUP_NAME: str | None = None
    SUPERVISOR_SERVER_URL: str | None = None
    # Money and limits (shared/money, services/bot): prices, Stars packs, referrals, abuse limits.
    STARTER_CREDITS: int = Field(default=50, ge=0, le=1_000_000)
    PRICE_MARKUP: Decimal = Field(default=Decimal("1.5"), gt=0, le=100)
    CREDIT_PACKS: Annotated[tuple[CreditPack, ...], NoDecode] = Field(
        default_factory=lambda: parse_packs(DEFAULT_CREDIT_PACKS)
    )
    PAYMENT_PAYLOAD_SECRET: SecretStr | None = None
    REFERRAL_BONUS_CREDITS: int = Field(default=25, ge=0, le=1_000_000)
    MAX_ACTIVE_JOBS_PER_USER: int = Field(default=2, ge=1, le=1000)
    DAILY_SPEND_CAP_CREDITS: int | None = Field(default=None, ge=1)
    RATE_LIMIT_MESSAGES_PER_MINUTE: int = Field(default=30, ge=1, le=10_000)
    RATE_LIMIT_BUTTONS_PER_MINUTE: int = Field(default=90, ge=1, le=10_000)
    BROADCAST_RATE_PER_SECOND: float = Field(default=20.0, gt=0, le=1000)
    EVENT_LOOP: EventLoop = EventLoop.UVLOOP
    LOG_LEVEL: str = "INFO"
    LOG_FORMAT: LogFormat = LogFormat.JSON

    @field_validator("ADMIN_IDS", mode="before")
    @classmethod
    def _parse_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not all(part.lstrip("-").isdigit() for part in parts):
                raise ValueError("expected comma-separated Telegram user ids, e.g. 123,456")
            return frozenset(int(part) for part in parts)
        return value

    @field_validator("CREDIT_PACKS", mode="before")
    @classmethod
    def _parse_credit_packs(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return parse_packs(value)
            except PackError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("DAILY_SPEND_CAP_CREDITS", mode="before")
    @classmethod
    def _empty_cap_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("CATALOG_REGISTRY_PATH", mode="before")
    @classmethod
    def _empty_path_is_default(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("LOG_LEVEL")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("TELEGRAM_API_BASE_URL", "KIE_API_BASE_URL", "KIE_UPLOAD_BASE_URL")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("WEBHOOK_URL", "PUBLIC_BASE_URL")
    @classmethod
    def _check_optional_url(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value)

    @field_validator("DATABASE_URL")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("expected a postgresql:// URL")
        return value

    @field_validator("REDIS_URL")
    @classmethod
    def _check_redis_url(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("expected a redis://, rediss:// or unix:// URL")
        return value

    @field_validator("WEBHOOK_SECRET_TOKEN")
    @classmethod
    def _check_secret_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            raw = value.get_secret_value()
            if not 1 <= len(raw) <= 256 or not set(raw) <= _SECRET_TOKEN_CHARS:
                raise ValueError("expected 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    def require_telegram(self) -> SecretStr:
        """Return the bot token, or stop the program if it is not configured."""
        if self.TELEGRAM_BOT_TOKEN is None or not self.TELEGRAM_BOT_TOKEN.get_secret_value():
            raise ConfigError("TELEGRAM_BOT_TOKEN: required, expected the bot token from @BotFather")
        return self.TELEGRAM_BOT_TOKEN

    def kie_api_key(self) -> str | None:
        """The KIE API key, or None when KIE_API_KEY is unset or empty (the one place that decides)."""
        if self.KIE_API_KEY is None or not self.KIE_API_KEY.get_secret_value():
            return None
        return self.KIE_API_KEY.get_secret_value()

    def require_kie_key(self, purpose: str = "expected the KIE.ai API key") -> str:
        """Return the KIE API key, or stop the program with a ConfigError saying why it is needed."""
        key = self.kie_api_key()
        if key is None:
            raise ConfigError(f"KIE_API_KEY: required, {purpose}")
        return key

    def require_webhook_secret(self) -> SecretStr:
        """Return the webhook secret, required (and long enough not to be guessed) in webhook mode."""
        expected = f"expected {MIN_WEBHOOK_SECRET}-256 characters of A-Z a-z 0-9 _ -"
        if self.WEBHOOK_SECRET_TOKEN is None:
            raise ConfigError(f"WEBHOOK_SECRET_TOKEN: required, {expected}")
        length = len(self.WEBHOOK_SECRET_TOKEN.get_secret_value())
        if length < MIN_WEBHOOK_SECRET:
            raise ConfigError(f"WEBHOOK_SECRET_TOKEN: too short ({length} characters), {expected}")
        return self.WEBHOOK_SECRET_TOKEN

    def secret_values(self) -> list[str]:
        """Every secret this process knows (all SecretStr settings, passwords in URLs), for log redaction."""
        secrets = [value for value in self.__dict__.values() if isinstance(value, SecretStr)]
        values = [secret.get_secret_value() for secret in secrets]
        passwords = (urlsplit(url).password for url in (self.DATABASE_URL, self.REDIS_URL))
        return [value for value in (*values, *passwords) if value]

    def telegram_method_url(self, method: str) -> str:
        """URL of a Bot API method, for code that calls Telegram without PTB."""
        token = self.require_telegram().get_secret_value()
        return f"{self.TELEGRAM_API_BASE_URL}/bot{token}/{method}"


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("expected an http:// or https:// URL")
    return value.rstrip("/")


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from the environment (or ``environ``), raising ConfigError on the first bad value."""
    try:
        if environ is None:
            return Settings()
        return Settings.model_validate(
            {key: value for key, value in environ.items() if key in Settings.model_fields}
        )
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    error = exc.errors()[0]
    variable = ".".join(str(part) for part in error["loc"]) or "settings"
    message = str(error["msg"]).removeprefix("Value error, ")
    given = error.get("input")
    shown = "" if _is_secret(variable) else f" (got {given!r})"
    return mask_url_passwords(f"{variable}: {message}{shown}")


def _is_secret(variable: str) -> bool:
    """A variable whose value is never shown: a SecretStr setting, or one named like a secret."""
    field = Settings.model_fields.get(variable)
    if field is not None and "SecretStr" in str(field.annotation):
        return True
    return any(word in variable for word in ("TOKEN", "KEY", "SECRET", "PASSWORD"))
