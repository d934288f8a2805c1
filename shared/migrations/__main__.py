"""``python -m shared.migrations``: apply pending schema migrations and exit."""

from __future__ import annotations

import sys

import psycopg
import structlog

from shared.errors import ConfigError
from shared.exitcodes import EXIT_CONFIG, EXIT_UNAVAILABLE
from shared.logging import configure_logging
from shared.migrations.runner import apply_migrations
from shared.settings import load_settings


def main() -> int:
    try:
        settings = load_settings()
    except ConfigError as exc:
        sys.stderr.write(f"migrate: configuration error: {exc}\n")
        return EXIT_CONFIG
    configure_logging("migrate", settings.LOG_LEVEL, settings.LOG_FORMAT)
    log = structlog.get_logger()
    try:
        applied = apply_migrations(settings.DATABASE_URL)
    except psycopg.OperationalError as exc:
        log.error("migrations_failed", reason=str(exc).splitlines()[0])
        return EXIT_UNAVAILABLE
    log.info("migrations_applied", applied=applied, count=len(applied))
    return 0


if __name__ == "__main__":
    sys.exit(main())
