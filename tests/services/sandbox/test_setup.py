"""The sandbox's configuration, its test users and where its update ids start."""

from __future__ import annotations

import pytest

from emulators.telegram import BotApiState
from services.sandbox.app import first_update_id
from services.sandbox.config import load_sandbox_config, local_port
from services.sandbox.users import DEFAULT_ROSTER, build_roster, register_users
from shared.errors import ConfigError
from shared.settings import load_settings

SANDBOX_ENV = {
    "TELEGRAM_BOT_TOKEN": "700000001:SANDBOX-test",
    "TELEGRAM_API_BASE_URL": "http://127.0.0.1:18081",
    "KIE_API_BASE_URL": "http://127.0.0.1:18082",
    "KIE_UPLOAD_BASE_URL": "http://127.0.0.1:18082",
    "KIE_API_KEY": "sandbox-kie-key",
    "WEBHOOK_URL": "http://127.0.0.1:10000/telegram/webhook",
    "WEBHOOK_SECRET_TOKEN": "sandbox-secret-0123456789abcdef-0123",
    "ADMIN_IDS": "100001",
}


class TestSandboxConfig:
    def test_ports_come_from_the_base_urls(self) -> None:
        """The emulators listen where the other programs are told to look."""
        config = load_sandbox_config(load_settings(SANDBOX_ENV))
        assert (config.telegram_port, config.kie_port, config.kie_upload_port) == (18081, 18082, 18082)
        assert config.webhook_url == SANDBOX_ENV["WEBHOOK_URL"]
        assert config.webhook_secret == SANDBOX_ENV["WEBHOOK_SECRET_TOKEN"]
        assert config.health_url == "http://127.0.0.1:10000/health"

    def test_a_remote_base_url_is_refused_naming_the_variable(self) -> None:
        """The sandbox cannot serve api.telegram.org: ConfigError names TELEGRAM_API_BASE_URL."""
        with pytest.raises(ConfigError, match="TELEGRAM_API_BASE_URL"):
            load_sandbox_config(
                load_settings({**SANDBOX_ENV, "TELEGRAM_API_BASE_URL": "https://api.telegram.org"})
            )

    def test_a_missing_kie_key_is_refused(self) -> None:
        """Without KIE_API_KEY the KIE emulator would accept no one."""
        env = {k: v for k, v in SANDBOX_ENV.items() if k != "KIE_API_KEY"}
        with pytest.raises(ConfigError, match="KIE_API_KEY"):
            load_sandbox_config(load_settings(env))

    def test_local_port_needs_http_on_loopback(self) -> None:
        """https or another host is refused; a loopback http URL gives its port."""
        assert local_port("X", "http://localhost:9") == 9
        with pytest.raises(ConfigError):
            local_port("X", "http://10.0.0.1:9")


class TestRoster:
    def test_admin_ids_mark_and_add_admins(self) -> None:
        """Ada is marked admin; an admin id outside the roster becomes an extra user."""
        roster = build_roster(frozenset({100001, 555}))
        assert [u.id for u in roster if u.admin] == [100001, 555]
        assert len(roster) == len(DEFAULT_ROSTER) + 1

    def test_users_exist_in_the_emulator_with_their_language(self) -> None:
        """Each test user gets a private chat in the Bot API emulator."""
        state = BotApiState(["1:T"])
        register_users(state, build_roster(frozenset()))
        assert state.user(100002).language_code == "ru" and 100003 in state.chats


class TestUpdateIds:
    def test_a_later_start_numbers_updates_higher(self) -> None:
        """A restart a second later starts ten ids further on, so claims in Redis never collide."""
        assert first_update_id(1_800_000_001) == first_update_id(1_800_000_000) + 10

    def test_the_emulator_starts_at_the_given_id(self) -> None:
        """BotApiState(first_update_id=N) gives the first update id N."""
        state = BotApiState(["1:T"], first_update_id=5_000)
        user = state.create_user("A")
        assert state.send_text(user.id, "hi").update_id == 5_000
