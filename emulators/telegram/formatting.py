"""parse_mode handling: turn HTML or MarkdownV2 markup into plain text plus entities.

HTML is parsed fully for the tags Telegram supports; MarkdownV2 gets Telegram's most common check
(reserved characters must be escaped) and is otherwise kept as sent.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from .errors import BadRequest

__all__ = ["format_text"]

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "span": "spoiler",
}
_CANT_PARSE = "can't parse entities"
_MD_RESERVED = set("_*[]()~`>#+-=|{}.!")


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def format_text(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None
) -> tuple[str, list[dict[str, Any]] | None]:
    """Apply parse_mode like Telegram: returns the text as shown and its entities."""
    if not parse_mode:
        return text, entities or None
    mode = parse_mode.lower()
    if mode == "html":
        return _parse_html(text)
    if mode in ("markdownv2", "markdown"):
        if mode == "markdownv2":
            _check_markdown_v2(text)
        return text, None
    raise BadRequest(f"unsupported parse_mode {parse_mode!r}")


class _EntityParser(HTMLParser):
    """Collects plain text and entities (offsets in UTF-16 units) from Telegram-style HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.length = 0
        self.entities: list[dict[str, Any]] = []
        self.open: list[tuple[str, dict[str, Any]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kind = _HTML_TAGS.get(tag)
        attributes = dict(attrs)
        if kind is None or (tag == "span" and attributes.get("class") != "tg-spoiler"):
            raise BadRequest(f'{_CANT_PARSE}: Unsupported start tag "{tag}" at byte offset {self.length}')
        entity: dict[str, Any] = {"type": kind, "offset": self.length}
        if tag == "a":
            entity["url"] = attributes.get("href") or ""
        if tag == "code" and self.open and self.open[-1][0] == "pre" and attributes.get("class"):
            self.open[-1][1]["language"] = str(attributes["class"]).removeprefix("language-")
            entity["type"] = "_inner_code"
        self.open.append((tag, entity))

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1][0] != tag:
            expected = self.open[-1][0] if self.open else tag
            raise BadRequest(
                f'{_CANT_PARSE}: Unmatched end tag at byte offset {self.length}, expected "</{expected}>", '
                f'found "</{tag}>"'
            )
        _, entity = self.open.pop()
        entity["length"] = self.length - entity["offset"]
        if entity["type"] != "_inner_code" and entity["length"] > 0:
            self.entities.append(entity)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.length += _utf16(data)


def _parse_html(text: str) -> tuple[str, list[dict[str, Any]] | None]:
    parser = _EntityParser()
    parser.feed(text)
    parser.close()
    if parser.open:
        tag = parser.open[-1][0]
        raise BadRequest(f'{_CANT_PARSE}: Can\'t find end tag corresponding to start tag "{tag}"')
    entities = sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))
    return "".join(parser.parts), entities or None


def _check_markdown_v2(text: str) -> None:
    """Reserved characters outside markup must be escaped, as Telegram insists."""
    escaped = False
    in_code = False
    for char in text:
        if escaped:
            escaped = False
            continue
        if char == "\\":
            escaped = True
        elif char == "`":
            in_code = not in_code
        elif not in_code and char in _MD_RESERVED and char not in "*_~|[]()`>":
            raise BadRequest(
                f"{_CANT_PARSE}: Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
