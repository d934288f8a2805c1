"""Every user-facing sentence of the bot, in Russian and English. Handlers hold no text of their own."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Language", "text"]


class Language(StrEnum):
    RU = "ru"
    EN = "en"

    @classmethod
    def of(cls, language_code: str | None) -> Language:
        """Russian for Russian-speaking Telegram clients, English otherwise."""
        code = (language_code or "").lower()
        return cls.RU if code.startswith(("ru", "uk", "be", "kk")) else cls.EN


_MESSAGES: dict[str, dict[Language, str]] = {
    "welcome": {
        Language.EN: "Hi! I'm TRT: I make images, video, music and speech with AI. Send /help to see how.",
        Language.RU: "Привет! Я TRT: создаю картинки, видео, музыку и речь с помощью ИИ. Напишите /help.",
    },
    "help": {
        Language.EN: "Send /start for the menu. You wrote: {preview}",
        Language.RU: "Откройте меню командой /start. Вы написали: {preview}",
    },
    "button_pressed": {
        Language.EN: "Got it: {choice}",
        Language.RU: "Принято: {choice}",
    },
    "button_ack": {
        Language.EN: "Done",
        Language.RU: "Готово",
    },
    "button_ping": {
        Language.EN: "Ping",
        Language.RU: "Пинг",
    },
    "sorry_error": {
        Language.EN: "Something went wrong on our side. Please try again in a minute.",
        Language.RU: "У нас что-то пошло не так. Попробуйте ещё раз через минуту.",
    },
}


def text(key: str, language: Language, **values: object) -> str:
    """The sentence ``key`` in ``language``, with ``values`` filled in."""
    return _MESSAGES[key][language].format(**values)
