"""English sentences of the job tracker: why a job ended without a result. Keys are shared with jobs_ru.py."""

MESSAGES: dict[str, str] = {
    "failure_refused": "The model refused this request (its content rules). "
    "{credits} are back on your balance. Try rewording the prompt.",
    "failure_generation_failed": "The model could not generate this one. "
    "{credits} are back on your balance. Please try again.",
    "failure_unavailable": "This model is temporarily unavailable. "
    "{credits} are back on your balance. Please try again later.",
    "failure_bad_input": "The model did not accept these settings. "
    "{credits} are back on your balance. Try other settings.",
    "failure_timeout": "The model took too long and we stopped waiting. "
    "{credits} are back on your balance. Please try again.",
    "failure_result_unavailable": "The result could not be downloaded. "
    "{credits} are back on your balance. Please try again.",
    "failure_cancelled": "Cancelled. {credits} are back on your balance.",
}
