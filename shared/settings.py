"""Settings: every environment variable TRT reads, validated once at program start.

Nothing else in the project reads ``os.environ`` (:mod:`shared.env` reads it for these fields and the
sandbox's one port). A bad or missing value raises :class:`ConfigError` with one line naming the variable
and what is expected.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from shared.env import check_fields, field_types, from_environ, setting
from shared.errors import ConfigError
from shared.money.packs import CreditPack, PackError, parse_packs
from shared.secret import SecretStr

__all__ = ["BotMode", "EventLoop", "LockBackend", "LogFormat", "SecretStr", "Settings", "load_settings"]

DEFAULT_CREDIT_PACKS = "100:50,500:225,1500:600"
"""credits:stars pairs on sale when CREDIT_PACKS is not set."""

_SECRET_TOKEN_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


# The secret is all that tells Telegram's POSTs from anyone's: long enough that it cannot be guessed.
MIN_WEBHOOK_SECRET = 32


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("expected an http:// or https:// URL")
    return value.rstrip("/")


def _database_url(value: str) -> str:
    if not value.startswith(("postgresql://", "postgres://")):
        raise ValueError("expected a postgresql:// URL")
    return value


def _redis_url(value: str) -> str:
    if not value.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("expected a redis://, rediss:// or unix:// URL")
    return value


def _secret_token(value: SecretStr) -> SecretStr:
    raw = value.get_secret_value()
    if not 1 <= len(raw) <= 256 or not set(raw) <= _SECRET_TOKEN_CHARS:
        raise ValueError("expected 1-256 characters of A-Z, a-z, 0-9, _ and -")
    return value


def _log_level(value: str) -> str:
    level = value.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ValueError("expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
    return level


def _admin_ids(value: str) -> frozenset[int]:
    parts = [part.strip() for part in value.split(",") if part.strip()]
    if not all(part.lstrip("-").isdigit() for part in parts):
        raise ValueError("expected comma-separated Telegram user ids, e.g. 123,456")
    return frozenset(int(part) for part in parts)


def _credit_packs(value: str) -> tuple[CreditPack, ...]:
    try:
        return parse_packs(value)
    except PackError as exc:
        raise ValueError(str(exc)) from None


def _blank_is_none(value: str) -> str | None:
    return None if not value.strip() else value


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


@dataclass(frozen=True, slots=True)
class Settings:
    """All of TRT's configuration. Frozen: built once per process and passed down.

    Every value is converted and checked when the object is built (:mod:`shared.env`), whether it
    came from the environment (text) or from code (already typed).
    """

    TELEGRAM_BOT_TOKEN: SecretStr | None = None
    TELEGRAM_API_BASE_URL: str = setting(default="https://api.telegram.org", check=_http_url)
    BOT_MODE: BotMode = BotMode.WEBHOOK
    WEBHOOK_URL: str | None = setting(default=None, check=_http_url)
    WEBHOOK_SECRET_TOKEN: SecretStr | None = setting(default=None, check=_secret_token)
    # Bearer token for GET /health/details on the public port; unset, details are on the metrics port only.
    HEALTH_TOKEN: SecretStr | None = setting(default=None, min_length=32)
    PORT: int = setting(default=10000, ge=1, le=65535)
    BIND_HOST: str = "127.0.0.1"
    PUBLIC_BASE_URL: str | None = setting(default=None, check=_http_url)
    KIE_API_KEY: SecretStr | None = None
    KIE_API_BASE_URL: str = setting(default="https://api.kie.ai", check=_http_url)
    KIE_UPLOAD_BASE_URL: str = setting(default="https://kieai.redpandaai.co", check=_http_url)
    KIE_WEBHOOK_HMAC_KEY: SecretStr | None = None
    KIE_CALLBACK_SECRET: SecretStr | None = None
    KIE_CREATE_TASKS_PER_10_SECONDS: int = setting(default=20, ge=1, le=10_000)
    JOBS_CONCURRENCY: int = setting(default=8, ge=1, le=256)
    JOBS_OUTBOX_POLL_SECONDS: float = setting(default=0.5, gt=0, le=60)
    JOBS_CALLBACK_GRACE_SECONDS: float = setting(default=10.0, ge=0, le=3600)
    JOBS_SWEEP_INTERVAL_SECONDS: float = setting(default=1.0, gt=0, le=60)
    JOBS_CLAIM_IDLE_SECONDS: float = setting(default=30.0, ge=1, le=3600)
    # A callback URL's token expires this long after its job's deadline (the job is settled by then).
    KIE_CALLBACK_TOKEN_GRACE_SECONDS: float = setting(default=86400.0, ge=0, le=30 * 86400)
    # Result files are read up to this many bytes; a larger one goes to the user as its link.
    RESULT_DOWNLOAD_MAX_BYTES: int = setting(default=50 * 1024 * 1024, ge=1024, le=2 * 1024**3)
    DATABASE_URL: str = setting(default="postgresql://postgres@127.0.0.1:5432/postgres", check=_database_url)
    DATABASE_CONNECT_TIMEOUT_SECONDS: float = setting(default=5.0, gt=0, le=120)
    REDIS_URL: str = setting(default="redis://127.0.0.1:6379/0", check=_redis_url)
    REDIS_KEY_PREFIX: str = "trt:"
    REDIS_CONNECT_TIMEOUT_SECONDS: float = setting(default=5.0, gt=0, le=120)
    BOOT_WARMUP_BUDGET_SECONDS: float = setting(default=30.0, gt=0, le=600)
    CATALOG_REGISTRY_PATH: Path | None = setting(default=None, parse=_blank_is_none)
    ALLOW_UNVERIFIED_PRICES: bool = False
    CATALOG_REFRESH_INTERVAL_SECONDS: float = setting(default=21600.0, ge=1, le=7 * 86400)
    KIE_LOW_BALANCE_CREDITS: float = setting(default=1000.0, ge=0)
    KIE_BALANCE_CHECK_INTERVAL_SECONDS: float = setting(default=300.0, ge=1, le=86400)
    # How often the leader compares what KIE consumed with what jobs were priced at; 0 turns it off.
    CATALOG_COST_WATCH_SECONDS: float = setting(default=60.0, ge=0, le=86400)
    LEASE_TTL_SECONDS: float = setting(default=15.0, ge=1, le=600)
    LOCK_BACKEND: LockBackend = LockBackend.REDIS
    HEARTBEAT_INTERVAL_SECONDS: float = setting(default=2.0, gt=0, le=60)
    HOST_ID: str = setting(default_factory=socket.gethostname, min_length=1, max_length=64)
    TELEGRAM_RATE_PER_SECOND: int = setting(default=30, ge=1, le=10_000)
    TELEGRAM_RATE_PER_CHAT_SECOND: int = setting(default=1, ge=1, le=1_000)
    TELEGRAM_RATE_PER_GROUP_MINUTE: int = setting(default=20, ge=1, le=10_000)
    BOT_CONCURRENCY: int = setting(default=64, ge=1, le=1_000)
    INBOX_CLAIM_IDLE_SECONDS: float = setting(default=15.0, ge=1, le=3600)
    INBOX_TURN_TIMEOUT_SECONDS: float = setting(default=120.0, ge=1, le=3600)
    # Stream retention (shared/streams/retention.py): handled entries older than this are trimmed.
    INBOX_RETENTION_SECONDS: float = setting(default=3600.0, ge=60, le=30 * 86400)
    CALLBACK_RETENTION_SECONDS: float = setting(default=7 * 86400.0, ge=60, le=90 * 86400)
    DEAD_LETTER_RETENTION_SECONDS: float = setting(default=30 * 86400.0, ge=60, le=365 * 86400)
    STREAM_TRIM_INTERVAL_SECONDS: float = setting(default=60.0, ge=0.1, le=86400)
    ADMIN_IDS: frozenset[int] = setting(default=frozenset(), parse=_admin_ids)
    # Operations: per-process metrics ports (0 = off) and the crash guard's restart intensity.
    METRICS_PORT_BASE: int = setting(default=0, ge=0, le=65000)
    RESTART_INTENSITY: int = setting(default=5, ge=1, le=1000)
    RESTART_PERIOD_SECONDS: float = setting(default=60.0, gt=0, le=86400)
    ALERT_COLLAPSE_SECONDS: float = setting(default=10.0, ge=0, le=3600)
    SUPERVISOR_PROCESS_NAME: str | None = None
    SUPERVISOR_GROUP_NAME: str | None = None
    SUPERVISOR_SERVER_URL: str | None = None
    # Money and limits (shared/money, services/bot): prices, Stars packs, referrals, abuse limits.
    STARTER_CREDITS: int = setting(default=50, ge=0, le=1_000_000)
    PRICE_MARKUP: Decimal = setting(default=Decimal("1.5"), gt=0, le=100)
    CREDIT_PACKS: tuple[CreditPack, ...] = setting(
        default_factory=lambda: parse_packs(DEFAULT_CREDIT_PACKS), parse=_credit_packs
    )
    PAYMENT_PAYLOAD_SECRET: SecretStr | None = None
    REFERRAL_BONUS_CREDITS: int = setting(default=25, ge=0, le=1_000_000)
    MAX_ACTIVE_JOBS_PER_USER: int = setting(default=2, ge=1, le=1000)
    DAILY_SPEND_CAP_CREDITS: int | None = setting(default=None, ge=1, parse=_blank_is_none)
    RATE_LIMIT_MESSAGES_PER_MINUTE: int = setting(default=30, ge=1, le=10_000)
    RATE_LIMIT_BUTTONS_PER_MINUTE: int = setting(default=90, ge=1, le=10_000)
    BROADCAST_RATE_PER_SECOND: float = setting(default=20.0, gt=0, le=1000)
    EVENT_LOOP: EventLoop = EventLoop.UVLOOP
    LOG_LEVEL: str = setting(default="INFO", check=_log_level)
    LOG_FORMAT: LogFormat = LogFormat.JSON

    def __post_init__(self) -> None:
        check_fields(self)

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
        fields = (getattr(self, name) for name in field_types(Settings))
        secrets = [value for value in fields if isinstance(value, SecretStr)]
        values = [secret.get_secret_value() for secret in secrets]
        passwords = (urlsplit(url).password for url in (self.DATABASE_URL, self.REDIS_URL))
        return [value for value in (*values, *passwords) if value]

    def telegram_method_url(self, method: str) -> str:
        """URL of a Bot API method, for code that calls Telegram without PTB."""
        token = self.require_telegram().get_secret_value()
        return f"{self.TELEGRAM_API_BASE_URL}/bot{token}/{method}"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from the environment (or ``environ``), raising ConfigError on the first bad value."""
    return from_environ(Settings, environ)
