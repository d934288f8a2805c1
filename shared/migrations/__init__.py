"""Schema migrations: ordered ``NNNN_name.sql`` files applied once each, recorded in ``schema_migrations``.

Run ``python -m shared.migrations`` before the programs start; it is idempotent and safe to run from
several hosts at once (an advisory transaction lock serialises them).
"""

from __future__ import annotations

from shared.migrations.runner import Migration, apply_migrations, pending_migrations

__all__ = ["Migration", "apply_migrations", "pending_migrations"]
