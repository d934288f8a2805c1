"""Where the sandbox listens and what it plays, derived from TRT's own settings.

The emulators' ports are read from the base URLs the other programs are given, so one place
(``scripts/run.sh``) chooses them. Only the web chat's port is the sandbox's own setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from shared.env import check_fields, from_environ, setting
from shared.errors import ConfigError
from shared.settings import BotMode, Settings

__all__ = ["SandboxConfig", "SandboxSettings", "load_sandbox_config", "local_port"]

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})


@dataclass(frozen=True, slots=True)
class SandboxSettings:
    """The sandbox program's own environment: the web chat's port."""

    SANDBOX_PORT: int = setting(default=8080, ge=1, le=65535)

    def __post_init__(self) -> None:
        check_fields(self)


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """Everything the sandbox program is started with."""

    host: str
    chat_port: int
    telegram_port: int
    kie_port: int
    kie_upload_port: int
    bot_token: str
    kie_api_key: str
    kie_hmac_key: str | None
    health_url: str
    admin_ids: frozenset[int]
    webhook_url: str | None = None
    webhook_secret: str | None = None

    @property
    def chat_url(self) -> str:
        """The web chat's address."""
        return f"http://{self.host}:{self.chat_port}"


def local_port(variable: str, url: str) -> int:
    """The port of a base URL the sandbox must serve itself; it has to be http on 127.0.0.1."""
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in LOCAL_HOSTS or parts.port is None:
        raise ConfigError(f"{variable}: the sandbox serves it, expected http://127.0.0.1:PORT (got {url!r})")
    return parts.port


def _sandbox_settings() -> SandboxSettings:
    return from_environ(SandboxSettings)


def load_sandbox_config(settings: Settings) -> SandboxConfig:
    """Build the sandbox configuration; raises ConfigError naming the variable that does not fit."""
    kie_api_key = settings.require_kie_key("the sandbox's KIE emulator accepts only this key")
    hmac = settings.KIE_WEBHOOK_HMAC_KEY
    secret = settings.WEBHOOK_SECRET_TOKEN
    return SandboxConfig(
        host="127.0.0.1",
        chat_port=_sandbox_settings().SANDBOX_PORT,
        telegram_port=local_port("TELEGRAM_API_BASE_URL", settings.TELEGRAM_API_BASE_URL),
        kie_port=local_port("KIE_API_BASE_URL", settings.KIE_API_BASE_URL),
        kie_upload_port=local_port("KIE_UPLOAD_BASE_URL", settings.KIE_UPLOAD_BASE_URL),
        bot_token=settings.require_telegram().get_secret_value(),
        kie_api_key=kie_api_key,
        kie_hmac_key=hmac.get_secret_value() if hmac is not None else None,
        health_url=f"http://127.0.0.1:{settings.PORT}/health",
        admin_ids=settings.ADMIN_IDS,
        webhook_url=settings.WEBHOOK_URL if settings.BOT_MODE is BotMode.WEBHOOK else None,
        webhook_secret=secret.get_secret_value() if secret is not None else None,
    )
