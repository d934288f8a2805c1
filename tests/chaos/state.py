"""A snapshot of everything a request could change: the Redis streams and claims, and PostgreSQL rows.

Two snapshots of a quiet system (no load, every job settled) are equal unless something was written;
the hostile-input scenario takes one before and one after each request.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
import redis

from shared.keys import Keys

__all__ = ["StateProbe"]

_PG_SUMMARY = """
SELECT (SELECT count(*) FROM users), (SELECT coalesce(sum(balance), 0) FROM users),
       (SELECT count(*) FROM ledger), (SELECT coalesce(max(id), 0) FROM ledger),
       (SELECT count(*) FROM jobs), (SELECT coalesce(max(updated_at)::text, '') FROM jobs)
"""


@dataclass
class StateProbe:
    """Reads the state a hostile request must leave alone."""

    redis_url: str
    database_url: str
    keys: Keys

    def snapshot(self) -> dict[str, object]:
        """Stream lengths, claimed update ids, per-chat sequence total, and PostgreSQL row summary."""
        client = redis.Redis.from_url(self.redis_url)
        try:
            sequences = client.hvals(self.keys.chat_sequence)
            state: dict[str, object] = {
                "inbox": client.xlen(self.keys.inbox),
                "dead": client.xlen(self.keys.inbox_dead),
                "callbacks": client.xlen(self.keys.kie_callbacks),
                "claims": self.claims(client),
                "chat_seq_total": sum(int(v) for v in sequences),
            }
        finally:
            client.close()
        with psycopg.connect(self.database_url) as conn:
            row = conn.execute(_PG_SUMMARY).fetchone()
        state["pg"] = tuple(row) if row else ()
        return state

    def claims(self, client: redis.Redis) -> int:
        """How many update ids are claimed (accepted once) in the inbox."""
        return sum(1 for _ in client.scan_iter(match=self.keys.update_claim(0)[:-1] + "*", count=1000))

    def claimed(self, update_ids: list[int]) -> int:
        """How many of ``update_ids`` the webhook accepted (their claim keys exist)."""
        client = redis.Redis.from_url(self.redis_url)
        try:
            pipe = client.pipeline(transaction=False)
            for update_id in update_ids:
                pipe.exists(self.keys.update_claim(update_id))
            return sum(int(found) for found in pipe.execute())
        finally:
            client.close()
