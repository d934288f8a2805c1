"""The Redis leader lease: one holder, epochs that only grow, renew and release only by the holder."""

from __future__ import annotations

import redis.asyncio as aioredis

from shared.keys import Keys
from shared.lease import LeaderInfo, RedisLease, read_leader

Redis = aioredis.Redis


def lease(redis: aioredis.Redis, prefix: str, holder: str, ttl: float = 5.0) -> RedisLease:
    return RedisLease(redis, Keys(prefix), holder, ttl)


class TestRedisLease:
    async def test_only_one_holder_at_a_time(self, redis_client: Redis, key_prefix: str) -> None:
        """A second holder cannot take a lease that is held."""
        first, second = lease(redis_client, key_prefix, "a"), lease(redis_client, key_prefix, "b")
        assert await first.try_acquire() == 1
        assert await second.try_acquire() is None

    async def test_epoch_grows_with_every_acquisition(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """Each new term gets a larger epoch, the fencing token."""
        first, second = lease(redis_client, key_prefix, "a"), lease(redis_client, key_prefix, "b")
        assert await first.try_acquire() == 1
        assert await first.release()
        assert await second.try_acquire() == 2

    async def test_only_the_holder_renews(self, redis_client: Redis, key_prefix: str) -> None:
        """Renewal fails for a holder whose lease expired and was taken by another."""
        first, second = lease(redis_client, key_prefix, "a", ttl=0.2), lease(redis_client, key_prefix, "b")
        await first.try_acquire()
        await redis_client.delete(Keys(key_prefix).lease)
        assert await second.try_acquire() == 2
        assert not await first.renew()
        assert await second.renew()

    async def test_release_leaves_another_holders_lease(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """A stale holder's release does not delete the current holder's lease."""
        first, second = lease(redis_client, key_prefix, "a"), lease(redis_client, key_prefix, "b")
        await first.try_acquire()
        await redis_client.delete(Keys(key_prefix).lease)
        await second.try_acquire()
        assert not await first.release()
        assert await redis_client.exists(Keys(key_prefix).lease)

    async def test_published_state_is_readable(self, redis_client: Redis, key_prefix: str) -> None:
        """publish() writes the state key that any process reads at start."""
        holder = lease(redis_client, key_prefix, "a")
        await holder.publish(LeaderInfo(holder="a", epoch=7, expires_at=1e12))
        assert await read_leader(redis_client, Keys(key_prefix)) == LeaderInfo("a", 7, 1e12)
