"""Logging: secrets are scrubbed from every field of every line."""

from __future__ import annotations

from shared.logging import SecretRedactor


class TestSecretRedactor:
    def test_secret_inside_a_string_is_masked(self) -> None:
        """A token embedded in a URL is replaced by ***."""
        redact = SecretRedactor(["123:ABCDEF"])
        event = redact(None, "info", {"event": "call", "url": "https://x/bot123:ABCDEF/getMe"})
        assert event["url"] == "https://x/bot***/getMe"

    def test_nested_values_are_masked(self) -> None:
        """Secrets inside dicts and lists are masked too."""
        redact = SecretRedactor(["sk-very-secret"])
        event = redact(None, "info", {"event": "e", "data": {"headers": ["Bearer sk-very-secret"]}})
        assert event["data"] == {"headers": ["Bearer ***"]}

    def test_short_values_are_not_treated_as_secrets(self) -> None:
        """Values under four characters would mask ordinary text, so they are ignored."""
        redact = SecretRedactor(["ab"])
        assert redact(None, "info", {"event": "abc"})["event"] == "abc"
