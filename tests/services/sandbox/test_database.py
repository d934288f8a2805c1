"""The sandbox's database: created when missing, claimed when empty, refused when it holds other data."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from services.sandbox.database import MARKER_TABLE, claim_database
from shared.errors import ConfigError
from shared.migrations.runner import apply_migrations
from tests.conftest import PG_ADMIN_DSN


@pytest.fixture(name="new_database_url")
def _new_database_url() -> Iterator[str]:
    """The URL of a database that does not exist yet (dropped afterwards if something created it)."""
    name = f"trt_test_sandbox_{uuid.uuid4().hex[:8]}"
    yield PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def marked(url: str) -> bool:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (MARKER_TABLE,)).fetchone()
        return bool(row and row[0])


class TestClaimDatabase:
    def test_a_missing_database_is_created_and_claimed_once(self, new_database_url: str) -> None:
        assert claim_database(new_database_url) == "created"
        assert marked(new_database_url)
        assert claim_database(new_database_url) == "already the sandbox's"

    def test_an_empty_migrated_database_is_claimed(self, new_database_url: str) -> None:
        claim_database(new_database_url)
        with psycopg.connect(new_database_url, autocommit=True) as conn:
            conn.execute(f"DROP TABLE {MARKER_TABLE}")
        apply_migrations(new_database_url)
        assert claim_database(new_database_url) == "claimed"

    def test_a_database_with_users_and_no_marker_is_refused_untouched(self, new_database_url: str) -> None:
        """A real bot's database: the sandbox names it, says how many users it holds, and writes nothing."""
        claim_database(new_database_url)
        with psycopg.connect(new_database_url, autocommit=True) as conn:
            conn.execute(f"DROP TABLE {MARKER_TABLE}")
        apply_migrations(new_database_url)
        with psycopg.connect(new_database_url, autocommit=True) as conn:
            conn.execute("INSERT INTO users (id) VALUES (42)")
        with pytest.raises(ConfigError, match=r"holds 1 user\(s\) and is not a sandbox database"):
            claim_database(new_database_url)
        assert not marked(new_database_url)
