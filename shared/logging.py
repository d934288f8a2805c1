"""structlog configuration: one JSON line per event on stdout, every line carrying program, pid, level.

supervisord writes each program's stdout to ``var/log/``. Third-party libraries that log through the
standard library (PTB, aiohttp, httpx) go through the same pipeline. Secrets registered with
:func:`configure_logging` are replaced by ``***`` wherever they appear in a line.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from shared.redaction import mask_url_passwords
from shared.settings import LogFormat

__all__ = ["SecretRedactor", "configure_logging"]


class SecretRedactor:
    """Processor that replaces every known secret value inside any string field with ``***``."""

    __slots__ = ("_secrets",)

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = tuple(sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True))

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        for key, value in event_dict.items():
            event_dict[key] = self._scrub(value)
        return event_dict

    def scrub_text(self, value: str) -> str:
        """``value`` with every known secret and every URL password replaced by ``***``."""
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, "***")
        return mask_url_passwords(value)

    def _scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.scrub_text(value)
        if isinstance(value, MutableMapping):
            return {key: self._scrub(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self._scrub(item) for item in value]
        return value


def configure_logging(program: str, level: str, fmt: LogFormat, secrets: Iterable[str] = ()) -> None:
    """Set up structlog and stdlib logging for this process. Call once, first thing in ``main``.

    Secrets are scrubbed from every field before rendering and, because the console renderer formats
    tracebacks itself (an exception's text may quote a token), from the rendered line as well.
    """
    redactor = SecretRedactor(secrets)
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _static_fields(program),
        structlog.processors.format_exc_info,
        redactor,
    ]
    renderer: Processor
    if fmt is LogFormat.CONSOLE:
        renderer = _scrubbed(structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty()), redactor)
        shared.remove(structlog.processors.format_exc_info)
    else:
        renderer = _scrubbed(structlog.processors.JSONRenderer(), redactor)
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level]),
        logger_factory=structlog.WriteLoggerFactory(file=sys.stdout),
        cache_logger_on_first_use=True,
    )
    _route_stdlib_logging(level, shared, renderer)


def _scrubbed(renderer: Processor, redactor: SecretRedactor) -> Processor:
    """``renderer`` whose rendered line is scrubbed of secrets too."""

    def render(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> Any:
        line = renderer(logger, method_name, event_dict)
        return redactor.scrub_text(line) if isinstance(line, str) else line

    return render


def _static_fields(program: str) -> Processor:
    pid = os.getpid()

    def add(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        event_dict.setdefault("program", program)
        event_dict.setdefault("pid", pid)
        return event_dict

    return add


def _route_stdlib_logging(level: str, shared: list[Processor], renderer: Processor) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and a Bot API URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
