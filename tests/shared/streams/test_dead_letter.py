"""Dead letters against real Redis: original fields kept, one alert each, the stream bounded."""

from __future__ import annotations

import redis.asyncio as aioredis

from shared.keys import Keys
from shared.ops.alerts import AlertKind, AlertLog
from shared.streams import Entry
from shared.streams.dead_letter import DEAD_LETTERS_MAXLEN, DeadLetters, Origin

# Approximate trimming (MAXLEN ~) removes whole radix-tree nodes of up to 100 entries.
NODE = 100


def dead_letters(redis: aioredis.Redis, keys: Keys) -> DeadLetters:
    return DeadLetters(
        redis, AlertLog(redis, keys), stream=f"{keys.prefix}dead", origin=Origin.of_consumer("h1/jobs")
    )


class TestDeadLetters:
    async def test_keeps_fields_and_alerts_once_without_them(
        self, redis_client: aioredis.Redis, key_prefix: str
    ) -> None:
        """The dead letter carries the entry's fields and why; the alert names the entry, not its data."""
        keys = Keys(key_prefix)
        entry = Entry("1-0", {b"job_id": b"j-1", b"body": b"secret-ish"})
        await dead_letters(redis_client, keys).add("src", entry, "handler failed 5 times")
        [(_, fields)] = await redis_client.xrange(f"{key_prefix}dead")
        assert fields == {
            b"job_id": b"j-1",
            b"body": b"secret-ish",
            b"reason": b"handler failed 5 times",
            b"entry_id": b"1-0",
            b"stream": b"src",
        }
        [alert] = await AlertLog(redis_client, keys).recent()
        assert alert.kind is AlertKind.DEAD_LETTERED and (alert.host, alert.program) == ("h1", "jobs")
        assert "src entry 1-0: handler failed 5 times" in alert.summary()
        assert "secret-ish" not in alert.to_json()

    async def test_stream_is_bounded(self, redis_client: aioredis.Redis, key_prefix: str) -> None:
        """A poison storm cannot grow the dead-letter stream past its bound."""
        keys = Keys(key_prefix)
        async with redis_client.pipeline(transaction=False) as pipe:
            for n in range(DEAD_LETTERS_MAXLEN + 3 * NODE):
                pipe.xadd(f"{key_prefix}dead", {"n": str(n)})
            await pipe.execute()
        await dead_letters(redis_client, keys).add("src", Entry("1-0", {b"n": b"x"}), "poison")
        assert int(await redis_client.xlen(f"{key_prefix}dead")) <= DEAD_LETTERS_MAXLEN + NODE
