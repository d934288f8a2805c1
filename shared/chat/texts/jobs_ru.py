"""Russian sentences of the job tracker: why a job ended without a result. Keys are shared with jobs_en.py."""

MESSAGES: dict[str, str] = {
    "failure_refused": "Модель отклонила запрос (её правила содержания). "
    "{credits} вернулись на баланс. Попробуйте переформулировать запрос.",
    "failure_generation_failed": "Модели не удалось выполнить генерацию. "
    "{credits} вернулись на баланс. Попробуйте ещё раз.",
    "failure_unavailable": "Модель временно недоступна. {credits} вернулись на баланс. Попробуйте позже.",
    "failure_bad_input": "Модель не приняла эти параметры. "
    "{credits} вернулись на баланс. Попробуйте другие параметры.",
    "failure_timeout": "Модель работала слишком долго, и мы перестали ждать. "
    "{credits} вернулись на баланс. Попробуйте ещё раз.",
    "failure_result_unavailable": "Не удалось скачать результат. "
    "{credits} вернулись на баланс. Попробуйте ещё раз.",
    "failure_cancelled": "Отменено. {credits} вернулись на баланс.",
}
