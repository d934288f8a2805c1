"""What the job tracker says to users, in Russian and English. No handler code holds these strings.

The bot product (issue 5) may restyle them; the keys are the `FailureReason` values plus `result`.
"""

from __future__ import annotations

from types import MappingProxyType

from shared.jobs import FailureReason

__all__ = ["failure_text", "result_caption"]

_FAILURES = MappingProxyType(
    {
        "en": {
            FailureReason.REFUSED: "The model refused this request (its content rules). "
            "Your {credits} credits are back on your balance. Try rewording the prompt.",
            FailureReason.GENERATION_FAILED: "The model could not generate this one. "
            "Your {credits} credits are back on your balance. Please try again.",
            FailureReason.UNAVAILABLE: "This model is temporarily unavailable. "
            "Your {credits} credits are back on your balance. Please try again later.",
            FailureReason.BAD_INPUT: "The model did not accept these settings. "
            "Your {credits} credits are back on your balance. Try other settings.",
            FailureReason.TIMEOUT: "The model took too long and we stopped waiting. "
            "Your {credits} credits are back on your balance. Please try again.",
            FailureReason.RESULT_UNAVAILABLE: "The result could not be downloaded. "
            "Your {credits} credits are back on your balance. Please try again.",
            FailureReason.CANCELLED: "Cancelled. Your {credits} credits are back on your balance.",
        },
        "ru": {
            FailureReason.REFUSED: "Модель отклонила запрос (её правила содержания). "
            "{credits} кредитов вернулись на баланс. Попробуйте переформулировать запрос.",
            FailureReason.GENERATION_FAILED: "Модели не удалось выполнить генерацию. "
            "{credits} кредитов вернулись на баланс. Попробуйте ещё раз.",
            FailureReason.UNAVAILABLE: "Модель временно недоступна. "
            "{credits} кредитов вернулись на баланс. Попробуйте позже.",
            FailureReason.BAD_INPUT: "Модель не приняла эти параметры. "
            "{credits} кредитов вернулись на баланс. Попробуйте другие параметры.",
            FailureReason.TIMEOUT: "Модель работала слишком долго, и мы перестали ждать. "
            "{credits} кредитов вернулись на баланс. Попробуйте ещё раз.",
            FailureReason.RESULT_UNAVAILABLE: "Не удалось скачать результат. "
            "{credits} кредитов вернулись на баланс. Попробуйте ещё раз.",
            FailureReason.CANCELLED: "Отменено. {credits} кредитов вернулись на баланс.",
        },
    }
)
_CAPTIONS = MappingProxyType({"en": "Done: {model}", "ru": "Готово: {model}"})


def _lang(language: str) -> str:
    return "en" if language == "en" else "ru"


def failure_text(language: str, reason: FailureReason, credits: int) -> str:
    """The sentence telling the user why a job ended without a result."""
    return _FAILURES[_lang(language)][reason].format(credits=credits)


def result_caption(language: str, model_name: str) -> str:
    """The plain caption of a delivered result."""
    return _CAPTIONS[_lang(language)].format(model=model_name)
