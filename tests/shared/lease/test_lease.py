"""The Redis leader lease and the published leader state."""

from __future__ import annotations

import time

import pytest
import redis.asyncio as aioredis

from shared.keys import Keys
from shared.lease.backend import LeaderBoard, LeaderInfo, LeaseConnectionLost, holder_host, read_leader
from shared.lease.redis import RedisLease
from tests.shared.servers import RedisServer, _private_redis  # noqa: F401  (fixture)

Redis = aioredis.Redis


def lease(redis: Redis, prefix: str, holder: str, ttl: float = 5.0) -> RedisLease:
    return RedisLease(redis, Keys(prefix), holder, ttl)


class TestRedisLease:
    async def test_only_one_holder_at_a_time(self, redis_client: Redis, key_prefix: str) -> None:
        """A second holder cannot take a lease that is held."""
        first, second = lease(redis_client, key_prefix, "a"), lease(redis_client, key_prefix, "b")
        assert await first.try_acquire() == 1
        assert await second.try_acquire() is None

    async def test_epoch_grows_with_every_acquisition(self, redis_client: Redis, key_prefix: str) -> None:
        """Each new term gets a larger epoch, the fencing token."""
        first, second = lease(redis_client, key_prefix, "a"), lease(redis_client, key_prefix, "b")
        assert await first.try_acquire() == 1
        assert await first.release()
        assert await second.try_acquire() == 2
        assert await second.highest_epoch() == 2

    async def test_epoch_starts_above_the_floor(self, redis_client: Redis, key_prefix: str) -> None:
        """A floor from the other authority lifts the epoch counter above it."""
        holder = lease(redis_client, key_prefix, "a")
        assert await holder.try_acquire(floor=41) == 42
        assert await holder.release()
        assert await holder.try_acquire(floor=3) == 43

    async def test_a_dead_holders_term_is_taken_over_with_the_next_epoch(
        self, redis_client: Redis, key_prefix: str
    ) -> None:
        """A live term of a holder proved dead is replaced at once; a live term of anyone else is not."""
        dead, restarted = lease(redis_client, key_prefix, "a/k/1"), lease(redis_client, key_prefix, "a/k/2")
        assert await dead.try_acquire() == 1
        assert await restarted.try_acquire(dead_holder="a/k/9") is None
        assert await restarted.try_acquire(dead_holder="a/k/1") == 2
        assert not await dead.renew()
        assert await restarted.renew()

    async def test_retried_acquire_returns_the_same_term(self, redis_client: Redis, key_prefix: str) -> None:
        """An acquire whose reply was lost is retried safely: the holder gets its own term back."""
        holder = lease(redis_client, key_prefix, "a", ttl=1.0)
        assert await holder.try_acquire() == 1
        assert await holder.try_acquire() == 1
        assert 0 < await redis_client.pttl(Keys(key_prefix).lease) <= 1000

    async def test_renew_resets_a_full_ttl(self, redis_client: Redis, key_prefix: str) -> None:
        """Renewal replaces the TTL (not adds to it), like Lock.reacquire."""
        holder = lease(redis_client, key_prefix, "a", ttl=2.0)
        await holder.try_acquire()
        await redis_client.pexpire(Keys(key_prefix).lease, 100)
        assert await holder.renew()
        assert 1500 < await redis_client.pttl(Keys(key_prefix).lease) <= 2000

    async def test_only_the_holder_renews(self, redis_client: Redis, key_prefix: str) -> None:
        """Renewal fails for a holder whose lease expired and was taken by another."""
        first, second = lease(redis_client, key_prefix, "a"), lease(redis_client, key_prefix, "b")
        await first.try_acquire()
        await redis_client.delete(Keys(key_prefix).lease)
        assert await second.try_acquire() == 2
        assert not await first.renew()
        assert await second.renew()

    async def test_renew_fails_when_the_key_is_gone(self, redis_client: Redis, key_prefix: str) -> None:
        """A deleted lease key cannot be renewed: the holder must step down."""
        holder = lease(redis_client, key_prefix, "a")
        await holder.try_acquire()
        await redis_client.delete(Keys(key_prefix).lease)
        assert not await holder.renew()

    async def test_release_leaves_another_holders_lease(self, redis_client: Redis, key_prefix: str) -> None:
        """A stale holder's release does not delete the current holder's lease."""
        first, second = lease(redis_client, key_prefix, "a"), lease(redis_client, key_prefix, "b")
        await first.try_acquire()
        await redis_client.delete(Keys(key_prefix).lease)
        await second.try_acquire()
        assert not await first.release()
        assert await redis_client.exists(Keys(key_prefix).lease)

    async def test_release_twice_is_a_no_op(self, redis_client: Redis, key_prefix: str) -> None:
        """The second release reports that nothing was held."""
        holder = lease(redis_client, key_prefix, "a")
        await holder.try_acquire()
        assert await holder.release()
        assert not await holder.release()

    async def test_unreachable_redis_is_connection_lost(self, private_redis: RedisServer) -> None:
        """With Redis gone, calls raise LeaseConnectionLost rather than a raw Redis error."""
        client = aioredis.Redis.from_url(private_redis.url, socket_connect_timeout=0.2, socket_timeout=0.2)
        holder = lease(client, "t:", "a")
        assert await holder.try_acquire() == 1
        private_redis.stop()
        with pytest.raises(LeaseConnectionLost):
            await holder.renew()
        await client.aclose()

    def test_holder_id_may_not_contain_the_separator(self, redis_client: Redis) -> None:
        """'|' separates holder and epoch in the key, so it is refused in a holder id."""
        with pytest.raises(ValueError, match="must not contain"):
            RedisLease(redis_client, Keys("t:"), "a|b", 1.0)


class TestLeaderBoard:
    async def test_published_state_is_readable(self, redis_client: Redis, key_prefix: str) -> None:
        """publish() writes the state key that any process reads at start."""
        board = LeaderBoard(redis_client, Keys(key_prefix), keep_seconds=10)
        info = LeaderInfo(holder="h/lockkeeper/1", epoch=7, expires_at=1e12, backend="postgres")
        assert await board.publish(info)
        assert await read_leader(redis_client, Keys(key_prefix)) == info

    async def test_an_older_epoch_cannot_overwrite_a_newer_one(
        self, redis_client: Redis, key_prefix: str
    ) -> None:
        """A stale holder's announcement is refused; the newer term stays published."""
        board = LeaderBoard(redis_client, Keys(key_prefix), keep_seconds=10)
        newer = LeaderInfo(holder="b/lockkeeper/2", epoch=8, expires_at=1e12)
        assert await board.publish(newer)
        assert not await board.publish(LeaderInfo(holder=None, epoch=7, expires_at=0.0))
        assert await board.read() == newer

    async def test_every_accepted_change_is_announced(self, redis_client: Redis, key_prefix: str) -> None:
        """Subscribers receive each accepted state on the leader channel."""
        keys = Keys(key_prefix)
        pubsub = redis_client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(keys.leader_channel)
        board = LeaderBoard(redis_client, keys, keep_seconds=10)
        info = LeaderInfo(holder="a/lockkeeper/1", epoch=1, expires_at=time.time() + 5)
        await board.publish(info)
        message = None
        for _ in range(5):  # the first read may consume the subscribe confirmation and return None
            message = message or await pubsub.get_message(timeout=1)
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        assert message is not None and LeaderInfo.from_json(message["data"]) == info


class TestLeaderInfo:
    def test_liveness_follows_expiry_and_holder(self) -> None:
        """A state is live only with a holder and before its expires_at."""
        assert LeaderInfo("a/x/1", 1, expires_at=100.0).is_live(now=99.0)
        assert not LeaderInfo("a/x/1", 1, expires_at=100.0).is_live(now=100.0)
        assert not LeaderInfo(None, 1, expires_at=100.0).is_live(now=0.0)

    def test_health_view_has_holder_epoch_and_remaining_seconds(self) -> None:
        """as_health() is the leader object of GET /health."""
        view = LeaderInfo("a/x/1", 3, expires_at=102.5).as_health(now=100.0)
        assert view == {"holder": "a/x/1", "epoch": 3, "expires_in": 2.5}

    def test_host_is_read_from_the_holder_id(self) -> None:
        """The host is everything before program and pid in host/program/pid."""
        assert holder_host("host-1/lockkeeper/42") == "host-1"
        assert LeaderInfo("my/host/bot:bot_00/7", 1, 0.0).host == "my/host"
