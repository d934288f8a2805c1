"""Message catalogs: both languages complete, Russian plurals, and no user-facing text in code."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from shared.chat.texts import Language, Texts, credits_word

ROOT = Path(__file__).resolve().parents[3]
SCANNED = (
    "services/bot/handlers",
    "services/bot/views",
    "services/bot/wizard",
    "services/bot/money",
    "shared/chat/presentation.py",
)
"""Packages that must take every user-facing sentence from the catalogs."""

_WORDS = re.compile(r"[A-Za-zА-Яа-яЁё]{2,}\s+[A-Za-zА-Яа-яЁё]{2,}")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _docstring_nodes(tree: ast.AST) -> set[int]:
    """Bare string statements: module, class and function docstrings and attribute docstrings."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }


def user_facing_literals(source: str) -> list[str]:
    """String constants (not docstrings) that read like text for a person: words or non-ASCII."""
    tree = ast.parse(source)
    docstrings = _docstring_nodes(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str) or id(node) in docstrings:
            continue
        if _WORDS.search(node.value) or _NON_ASCII.search(node.value):
            found.append(node.value)
    return found


class TestLiteralScanner:
    def test_handler_and_view_modules_hold_no_user_facing_text(self) -> None:
        """No module of handlers, views or the wizard holds a sentence or non-ASCII text."""
        offenders = {
            str(path.relative_to(ROOT)): literals
            for package in SCANNED
            for path in sorted(
                (ROOT / package).rglob("*.py") if (ROOT / package).is_dir() else [ROOT / package]
            )
            if (literals := user_facing_literals(path.read_text(encoding="utf-8")))
        }
        assert offenders == {}

    def test_scanner_catches_a_sentence_and_cyrillic(self) -> None:
        """The scanner flags an English sentence, a Russian word and an emoji, but not keys or docstrings."""
        source = '"""Doc string here."""\nA = "Hello there"\nB = "Привет"\nC = "🚀"\nD = "err_too_long"\n'
        assert user_facing_literals(source) == ["Hello there", "Привет", "🚀"]


class TestCatalogs:
    def test_both_languages_hold_the_same_keys(self) -> None:
        """Every message exists in Russian and in English."""
        texts = Texts()
        assert texts.keys(Language.RU) == texts.keys(Language.EN)

    def test_placeholders_match_across_languages(self) -> None:
        """A message takes the same values in both languages."""
        texts = Texts()
        formatter = string.Formatter()
        for key in texts.keys(Language.EN):
            fields = {
                language: {
                    name for _, name, _, _ in formatter.parse(texts.maybe(key, language) or "") if name
                }
                for language in Language
            }
            assert fields[Language.EN] == fields[Language.RU], key

    @pytest.mark.parametrize(
        ("amount", "word"),
        [(1, "кредит"), (2, "кредита"), (5, "кредитов"), (11, "кредитов"), (21, "кредит"), (24, "кредита")],
    )
    def test_russian_plural_of_credits(self, amount: int, word: str) -> None:
        """Russian agrees the noun with the number: 1 кредит, 2 кредита, 5 кредитов, 11 кредитов."""
        assert credits_word(amount, Language.RU) == word

    def test_language_from_telegram_code(self) -> None:
        """Russian-speaking clients get Russian, everyone else English."""
        assert Language.of("ru-RU") is Language.RU
        assert Language.of("de") is Language.EN
        assert Language.of(None) is Language.EN
