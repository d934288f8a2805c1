"""Telegram formatting to HTML for the web chat: text plus entities (UTF-16 offsets) in, safe HTML out.

Entity offsets and lengths count UTF-16 code units, as in the Bot API. The text is cut at every
entity boundary; each piece is escaped and wrapped in the tags of the entities covering it. Nested
entities nest; entities that overlap without nesting are closed and reopened, so the output is
always well formed. Only http(s), tg and mailto links become hrefs.
"""

from __future__ import annotations

import html
import itertools
from dataclasses import dataclass
from typing import Any

__all__ = ["Entity", "entities_to_html"]

_SIMPLE_TAGS = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "spoiler": ('<span class="spoiler">', "</span>"),
    "code": ("<code>", "</code>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ('<blockquote class="expandable">', "</blockquote>"),
    "mention": ('<span class="mention">', "</span>"),
    "hashtag": ('<span class="hashtag">', "</span>"),
    "cashtag": ('<span class="hashtag">', "</span>"),
    "phone_number": ('<span class="phone">', "</span>"),
    "custom_emoji": ("<span>", "</span>"),
}
_SAFE_SCHEMES = ("http://", "https://", "tg://", "mailto:")


@dataclass(frozen=True, slots=True)
class Entity:
    """One MessageEntity, with the text it covers."""

    type: str
    offset: int
    length: int
    covered: str
    extra: dict[str, Any]

    @property
    def end(self) -> int:
        """The UTF-16 offset just past the entity."""
        return self.offset + self.length

    def tags(self) -> tuple[str, str]:
        """The opening and closing HTML of this entity."""
        if self.type in _SIMPLE_TAGS:
            return _SIMPLE_TAGS[self.type]
        if self.type == "pre":
            language = html.escape(str(self.extra.get("language") or ""), quote=True)
            opening = f'<pre><code class="language-{language}">' if language else "<pre><code>"
            return opening, "</code></pre>"
        if self.type in ("url", "text_link", "email"):
            return _link(self._href()), "</a>"
        if self.type == "bot_command":
            command = html.escape(self.covered, quote=True)
            return f'<span class="command" data-command="{command}">', "</span>"
        if self.type == "text_mention":
            return '<span class="mention">', "</span>"
        return "<span>", "</span>"

    def _href(self) -> str:
        if self.type == "text_link":
            return str(self.extra.get("url") or "")
        if self.type == "email":
            return f"mailto:{self.covered}"
        return self.covered if "://" in self.covered else f"http://{self.covered}"


def _link(href: str) -> str:
    if not href.startswith(_SAFE_SCHEMES):
        return '<a class="unsafe-link">'
    return f'<a href="{html.escape(href, quote=True)}" target="_blank" rel="noopener noreferrer">'


def _slice(units: bytes, start: int, end: int) -> str:
    """Code units [start, end) of UTF-16-LE bytes as text (a cut surrogate pair becomes U+FFFD)."""
    return units[start * 2 : end * 2].decode("utf-16-le", errors="replace")


def _parse(units: bytes, entities: list[dict[str, Any]]) -> list[Entity]:
    size = len(units) // 2
    parsed = []
    for raw in entities:
        offset, length = int(raw.get("offset", 0)), int(raw.get("length", 0))
        if length <= 0 or offset < 0 or offset + length > size:
            continue
        extra = {k: v for k, v in raw.items() if k not in ("type", "offset", "length")}
        covered = _slice(units, offset, offset + length)
        parsed.append(Entity(str(raw.get("type")), offset, length, covered, extra))
    return sorted(parsed, key=lambda e: (e.offset, -e.length))


def entities_to_html(text: str, entities: list[dict[str, Any]] | None) -> str:
    """Render ``text`` with its ``entities`` as HTML; plain escaped text when there are none."""
    units = text.encode("utf-16-le")
    parsed = _parse(units, entities or [])
    if not parsed:
        return html.escape(text, quote=False)
    bounds = sorted({0, len(units) // 2} | {e.offset for e in parsed} | {e.end for e in parsed})
    out: list[str] = []
    stack: list[Entity] = []
    for start, end in itertools.pairwise(bounds):
        active = [e for e in parsed if e.offset <= start and e.end >= end]
        keep = 0
        while keep < min(len(stack), len(active)) and stack[keep] is active[keep]:
            keep += 1
        out.extend(e.tags()[1] for e in reversed(stack[keep:]))
        out.extend(e.tags()[0] for e in active[keep:])
        stack = active
        out.append(html.escape(_slice(units, start, end), quote=False))
    out.extend(e.tags()[1] for e in reversed(stack))
    return "".join(out)
