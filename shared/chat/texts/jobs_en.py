"""English sentences of the job tracker: why a job ended without a result. Keys are shared with jobs_ru.py."""

MESSAGES: dict[str, str] = {
    "failure_refused": "The model refused this request (its content rules). "
    "Returned to your balance: {credits}. Try rewording the prompt.",
    "failure_generation_failed": "The model could not generate this one. "
    "Returned to your balance: {credits}. Please try again.",
    "failure_unavailable": "This model is temporarily unavailable. "
    "Returned to your balance: {credits}. Please try again later.",
    "failure_bad_input": "The model did not accept these settings. "
    "Returned to your balance: {credits}. Try other settings.",
    "failure_timeout": "The model took too long and we stopped waiting. "
    "Returned to your balance: {credits}. Please try again.",
    "failure_result_unavailable": "The result could not be downloaded. "
    "Returned to your balance: {credits}. Please try again.",
    "failure_input_unreachable": "The model could not download the file you gave it. "
    "Returned to your balance: {credits}. Please send the file again (as a photo or a file, not a link).",
    "failure_cancelled": "Cancelled. Returned to your balance: {credits}.",
}
