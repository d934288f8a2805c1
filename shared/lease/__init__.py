"""The leader lease: its backends (Redis, PostgreSQL), who leads right now, and fencing of stale leaders."""
