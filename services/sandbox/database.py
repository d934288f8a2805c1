"""The sandbox's own database: created when missing, marked as the sandbox's, never someone else's.

``make run`` in sandbox mode points every program at ``SANDBOX_DATABASE_URL`` (default: database
``trt_sandbox`` on the local server) and ``SANDBOX_REDIS_KEY_PREFIX`` (default ``trt-sandbox:``), not at
the ``DATABASE_URL`` a developer's ``.env`` may hold for a real bot. Before migrations,
``python -m services.sandbox.database`` creates that database if it does not exist and claims it with a
marker table; a database that already holds users but no marker belongs to something else, and the
sandbox refuses it. The sandbox program checks the marker again when it starts.
"""

from __future__ import annotations

import sys

import psycopg
from psycopg import conninfo, sql
from psycopg_pool import AsyncConnectionPool

from shared.errors import ConfigError
from shared.exitcodes import EXIT_CONFIG, EXIT_UNAVAILABLE
from shared.redaction import mask_url_passwords
from shared.settings import load_settings

__all__ = ["MARKER_TABLE", "claim_database", "require_sandbox_database"]

MARKER_TABLE = "sandbox_database"
_REFUSED = (
    "DATABASE_URL: database {name!r} holds {users} user(s) and is not a sandbox database; the sandbox "
    "never writes into another system's data: set SANDBOX_DATABASE_URL to a new or sandbox database"
)


def claim_database(url: str) -> str:
    """Create the database at ``url`` if missing and mark it the sandbox's; returns what was done."""
    created = _create_if_missing(url)
    with psycopg.connect(url, autocommit=True) as conn:
        marked = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (MARKER_TABLE,)).fetchone()
        if marked is not None and marked[0]:
            return "created" if created else "already the sandbox's"
        users = _user_count(conn)
        if users:
            raise ConfigError(_REFUSED.format(name=conn.info.dbname, users=users))
        conn.execute(
            sql.SQL("CREATE TABLE {} (claimed_at timestamptz NOT NULL DEFAULT now())").format(
                sql.Identifier(MARKER_TABLE)
            )
        )
        conn.execute(sql.SQL("INSERT INTO {} DEFAULT VALUES").format(sql.Identifier(MARKER_TABLE)))
    return "created" if created else "claimed"


async def require_sandbox_database(pool: AsyncConnectionPool) -> None:
    """Stop the sandbox program (ConfigError) unless its database carries the sandbox's marker."""
    async with pool.connection() as conn:
        row = await (await conn.execute("SELECT to_regclass(%s) IS NOT NULL", (MARKER_TABLE,))).fetchone()
        if row is None or not row[0]:
            raise ConfigError(
                f"DATABASE_URL: database {conn.info.dbname!r} is not a sandbox database "
                "(run the sandbox with `make run`, which creates and claims one)"
            )


def _create_if_missing(url: str) -> bool:
    name = conninfo.conninfo_to_dict(url).get("dbname") or "postgres"
    admin = conninfo.make_conninfo(url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists is not None:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(str(name))))
    return True


def _user_count(conn: psycopg.Connection[tuple[object, ...]]) -> int:
    present = conn.execute("SELECT to_regclass('users') IS NOT NULL").fetchone()
    if present is None or not present[0]:
        return 0
    row = conn.execute("SELECT count(*) FROM users").fetchone()
    return int(str(row[0])) if row is not None else 0


def main() -> int:
    """``python -m services.sandbox.database``: create and claim, or refuse with exit 78."""
    try:
        url = load_settings().DATABASE_URL
        outcome = claim_database(url)
    except ConfigError as exc:
        sys.stderr.write(f"sandbox: configuration error: {exc}\n")
        return EXIT_CONFIG
    except psycopg.OperationalError as exc:
        reason = mask_url_passwords(str(exc).splitlines()[0])
        sys.stderr.write(f"sandbox: database unavailable: {reason}\n")
        return EXIT_UNAVAILABLE
    sys.stdout.write(f"sandbox: database {outcome}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
