"""Which catalogue version is in service, read without loading the catalogue code.

The ``current`` pointer and the snapshot key it names (layout in :mod:`shared.catalog.store`). The
webhook's ``/ready`` asks only whether a snapshot is in service; importing the store would load the
registry, its checks and its parsers into a process that never reads a model.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from shared.keys import Keys

__all__ = ["current_version", "published_version"]


async def current_version(redis: aioredis.Redis, keys: Keys) -> str | None:
    """The version the pointer names, or None when nothing was ever published."""
    raw = await redis.get(keys.catalog_current)
    return None if raw is None else raw.decode() if isinstance(raw, bytes) else str(raw)


async def published_version(redis: aioredis.Redis, keys: Keys) -> str | None:
    """The version in service if its snapshot key exists (cheap: no parsing), else None."""
    version = await current_version(redis, keys)
    if version is None or not await redis.exists(keys.catalog_snapshot(version)):
        return None
    return version
