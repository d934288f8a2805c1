"""Russian sentences of the job tracker: why a job ended without a result. Keys are shared with jobs_en.py."""

MESSAGES: dict[str, str] = {
    "failure_refused": "Модель отклонила запрос (её правила содержания). "
    "Возвращено на баланс: {credits}. Попробуйте переформулировать запрос.",
    "failure_generation_failed": "Модели не удалось выполнить генерацию. "
    "Возвращено на баланс: {credits}. Попробуйте ещё раз.",
    "failure_unavailable": "Модель временно недоступна. Возвращено на баланс: {credits}. Попробуйте позже.",
    "failure_bad_input": "Модель не приняла эти параметры. "
    "Возвращено на баланс: {credits}. Попробуйте другие параметры.",
    "failure_timeout": "Модель работала слишком долго, и мы перестали ждать. "
    "Возвращено на баланс: {credits}. Попробуйте ещё раз.",
    "failure_result_unavailable": "Не удалось скачать результат. "
    "Возвращено на баланс: {credits}. Попробуйте ещё раз.",
    "failure_input_unreachable": "Модель не смогла скачать присланный файл. "
    "Возвращено на баланс: {credits}. Пришлите файл ещё раз (фото или файлом, не ссылкой).",
    "failure_cancelled": "Отменено. Возвращено на баланс: {credits}.",
}
