"""Job tests reuse the ledger's migrated pool and unique user ids."""

from __future__ import annotations

from tests.shared.ledger.conftest import _new_user_id, _pool

__all__ = ["_new_user_id", "_pool"]
