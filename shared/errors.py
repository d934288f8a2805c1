"""The project's error tree.

    TrtError
    ├── ConfigError          a setting is missing or malformed; the program exits with EXIT_CONFIG
    ├── ServiceUnavailable   Redis or PostgreSQL cannot be reached within its budget
    ├── KieError             the KIE.ai client (tree in shared/kie/errors.py)
    └── CatalogError         the model catalogue (tree in shared/catalog/errors.py)

Errors of a single adapter (KIE, the catalogue) live beside that adapter and root here too.
"""

from __future__ import annotations

__all__ = ["ConfigError", "ServiceUnavailable", "TrtError"]


class TrtError(Exception):
    """Root of every error TRT raises on purpose."""


class ConfigError(TrtError):
    """A setting is missing or malformed. The message names the variable and what is expected."""


class ServiceUnavailable(TrtError):
    """A backing service (Redis, PostgreSQL) did not answer within its budget."""
