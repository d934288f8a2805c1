"""Migrations: applied in order, once, and recorded."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from shared.migrations.runner import apply_migrations, discover


class TestMigrations:
    def test_applying_twice_changes_nothing(self, database_url: str) -> None:
        """The second run finds every migration recorded and applies none."""
        apply_migrations(database_url)
        assert apply_migrations(database_url) == []
        with psycopg.connect(database_url) as conn:
            versions = [row[0] for row in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")]
        assert versions == [m.version for m in discover()]

    def test_badly_named_file_is_an_error(self, tmp_path: Path) -> None:
        """A file that does not follow NNNN_name.sql is reported, not skipped."""
        (tmp_path / "create_users.sql").write_text("SELECT 1")
        with pytest.raises(ValueError, match=r"create_users\.sql"):
            discover(tmp_path)

    def test_failed_migration_is_not_recorded(self, database_url: str, tmp_path: Path) -> None:
        """A migration that fails rolls back entirely and stays pending."""
        (tmp_path / "0900_broken.sql").write_text("CREATE TABLE half_done (id int); SELECT * FROM missing;")
        with pytest.raises(psycopg.errors.UndefinedTable):
            apply_migrations(database_url, tmp_path)
        with psycopg.connect(database_url) as conn:
            assert conn.execute("SELECT to_regclass('half_done')").fetchone() == (None,)
            assert conn.execute("SELECT 1 FROM schema_migrations WHERE version = 900").fetchone() is None
