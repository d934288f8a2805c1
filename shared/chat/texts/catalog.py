"""Looking up a message by key and language, with values filled in and Russian plurals done right."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from shared.chat.texts.buy_en import MESSAGES as EN_BUY
from shared.chat.texts.buy_ru import MESSAGES as RU_BUY
from shared.chat.texts.edges_en import MESSAGES as EN_EDGES
from shared.chat.texts.edges_ru import MESSAGES as RU_EDGES
from shared.chat.texts.en import MESSAGES as EN_MESSAGES
from shared.chat.texts.follow_ups_en import MESSAGES as EN_FOLLOW_UPS
from shared.chat.texts.follow_ups_ru import MESSAGES as RU_FOLLOW_UPS
from shared.chat.texts.inline_en import MESSAGES as EN_INLINE
from shared.chat.texts.inline_ru import MESSAGES as RU_INLINE
from shared.chat.texts.jobs_en import MESSAGES as EN_JOBS
from shared.chat.texts.jobs_ru import MESSAGES as RU_JOBS
from shared.chat.texts.labels_en import MESSAGES as EN_LABELS
from shared.chat.texts.labels_ru import MESSAGES as RU_LABELS
from shared.chat.texts.money_en import MESSAGES as EN_MONEY
from shared.chat.texts.money_ru import MESSAGES as RU_MONEY
from shared.chat.texts.quick_en import MESSAGES as EN_QUICK
from shared.chat.texts.quick_ru import MESSAGES as RU_QUICK
from shared.chat.texts.ru import MESSAGES as RU_MESSAGES
from shared.chat.texts.support_en import MESSAGES as EN_SUPPORT
from shared.chat.texts.support_ru import MESSAGES as RU_SUPPORT

__all__ = ["Language", "Texts", "credits_word"]


class Language(StrEnum):
    """The languages the bot speaks."""

    RU = "ru"
    EN = "en"

    @classmethod
    def of(cls, language_code: str | None) -> Language:
        """Russian for Russian-speaking Telegram clients, English otherwise."""
        code = (language_code or "").lower()
        return cls.RU if code.startswith(("ru", "uk", "be", "kk")) else cls.EN

    @classmethod
    def parse(cls, value: str | None) -> Language | None:
        """The language stored as ``value``, or None when it is not one of ours."""
        try:
            return cls(value) if value else None
        except ValueError:
            return None


_CATALOGS: Mapping[Language, Mapping[str, str]] = {
    Language.EN: {
        **EN_MESSAGES,
        **EN_MONEY,
        **EN_JOBS,
        **EN_QUICK,
        **EN_BUY,
        **EN_LABELS,
        **EN_SUPPORT,
        **EN_EDGES,
        **EN_INLINE,
        **EN_FOLLOW_UPS,
    },
    Language.RU: {
        **RU_MESSAGES,
        **RU_MONEY,
        **RU_JOBS,
        **RU_QUICK,
        **RU_BUY,
        **RU_LABELS,
        **RU_SUPPORT,
        **RU_EDGES,
        **RU_INLINE,
        **RU_FOLLOW_UPS,
    },
}


def credits_word(amount: int, language: Language) -> str:
    """The word "credits" agreeing with ``amount`` (1 credit, 2 кредита, 5 кредитов)."""
    if language is Language.EN:
        return EN_MESSAGES["credit_one"] if amount == 1 else EN_MESSAGES["credit_many"]
    tens, units = amount % 100, amount % 10
    if units == 1 and tens != 11:
        return RU_MESSAGES["credit_one"]
    if 2 <= units <= 4 and not 12 <= tens <= 14:
        return RU_MESSAGES["credit_few"]
    return RU_MESSAGES["credit_many"]


class Texts:
    """The message catalogs; ``get(key, language, **values)`` returns one filled-in message."""

    def __init__(self, catalogs: Mapping[Language, Mapping[str, str]] = _CATALOGS) -> None:
        self._catalogs = catalogs

    def get(self, key: str, language: Language, **values: object) -> str:
        """The message ``key`` in ``language``; raises KeyError for a key no catalog holds."""
        return self._catalogs[language][key].format(**values)

    def maybe(self, key: str, language: Language) -> str | None:
        """The message ``key`` if the catalog has it (optional labels such as parameter names)."""
        return self._catalogs[language].get(key)

    def credits(self, amount: int, language: Language) -> str:
        """An amount of credits as words: "5 credits", "5 кредитов"."""
        return self.get("credits", language, amount=amount, word=credits_word(amount, language))

    def keys(self, language: Language) -> frozenset[str]:
        """Every key of one catalog (tests check both catalogs hold the same keys)."""
        return frozenset(self._catalogs[language])
