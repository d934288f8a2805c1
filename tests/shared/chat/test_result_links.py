"""Result links: signed by this deployment, valid for a stated time, useless to anyone who edits them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.chat.result_links import LINK_TTL, LinkExpired, LinkInvalid, ResultLinks

SECRET = b"callback-secret"
FILE = "https://tempfile.kie.ai/result/abc.mp4"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


class TestResultLinks:
    def test_a_link_leads_to_its_file_until_it_expires(self) -> None:
        links = ResultLinks(SECRET, "https://bot.example/")
        link = links.make(FILE, NOW)
        assert link.url.startswith("https://bot.example/results/")
        assert link.expires_at == NOW + LINK_TTL
        assert links.resolve(token_of(link.url), NOW + LINK_TTL - timedelta(seconds=1)) == FILE
        with pytest.raises(LinkExpired) as expired:
            links.resolve(token_of(link.url), NOW + LINK_TTL)
        assert expired.value.expired_at == link.expires_at

    def test_an_edited_or_foreign_token_is_refused(self) -> None:
        link = ResultLinks(SECRET, "https://bot.example").make(FILE, NOW)
        token = token_of(link.url)
        payload, signature = token.split(".")
        forged = ResultLinks(b"another deployment", "https://bot.example").make("https://evil.example/x", NOW)
        for bad in (
            token_of(forged.url),  # signed, but with another key
            f"{token_of(forged.url).split('.')[0]}.{signature}",  # another payload under this signature
            f"{payload}.{signature[:-2]}AA",
            "not-a-token",
            "",
            "%%%.%%%",
        ):
            with pytest.raises(LinkInvalid):
                ResultLinks(SECRET, "https://bot.example").resolve(bad, NOW)
