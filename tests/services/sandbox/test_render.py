"""Telegram entities to HTML for the web chat."""

from __future__ import annotations

from services.sandbox.render import entities_to_html


def ent(kind: str, offset: int, length: int, **extra: str) -> dict[str, object]:
    return {"type": kind, "offset": offset, "length": length, **extra}


class TestEntitiesToHtml:
    def test_plain_text_is_escaped(self) -> None:
        """Without entities the text is only escaped."""
        assert entities_to_html("a <b> & c", None) == "a &lt;b&gt; &amp; c"

    def test_nested_entities_nest(self) -> None:
        """Bold around italic gives <b>..<i>..</i>..</b>."""
        html = entities_to_html("Hello world", [ent("bold", 0, 11), ent("italic", 6, 5)])
        assert html == "<b>Hello <i>world</i></b>"

    def test_overlapping_entities_stay_well_formed(self) -> None:
        """Bold 0-5 and italic 3-8 close and reopen rather than cross."""
        html = entities_to_html("abcdefgh", [ent("bold", 0, 5), ent("italic", 3, 5)])
        assert html == "<b>abc<i>de</i></b><i>fgh</i>"

    def test_offsets_count_utf16_units(self) -> None:
        """An emoji counts two units, so the bold word after it is found."""
        assert entities_to_html("😀 hi", [ent("bold", 3, 2)]) == "😀 <b>hi</b>"

    def test_links_keep_safe_schemes_only(self) -> None:
        """text_link with https becomes an href; a javascript: link does not."""
        good = entities_to_html("site", [ent("text_link", 0, 4, url="https://example.com/?a=1&b=2")])
        assert 'href="https://example.com/?a=1&amp;b=2"' in good
        bad = entities_to_html("x", [ent("text_link", 0, 1, url="javascript:alert(1)")])
        assert "href" not in bad and "javascript" not in bad

    def test_pre_with_language_and_commands(self) -> None:
        """pre carries its language; a bot_command is clickable with its text."""
        assert entities_to_html("x=1", [ent("pre", 0, 3, language="python")]) == (
            '<pre><code class="language-python">x=1</code></pre>'
        )
        assert 'data-command="/start"' in entities_to_html("/start now", [ent("bot_command", 0, 6)])

    def test_entities_out_of_range_are_ignored(self) -> None:
        """An entity past the text's end changes nothing."""
        assert entities_to_html("ab", [ent("bold", 1, 9)]) == "ab"
