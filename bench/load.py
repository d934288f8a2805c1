"""Load generator: POST distinct Telegram updates to a webhook URL over N concurrent connections.

Run in its own process so it never shares an event loop (or a core) with the server it measures::

    python -m bench.load URL SECRET COUNT CONCURRENCY FIRST_UPDATE_ID

Prints one JSON line: accepted count, non-2xx count, seconds, p50/p99 latency in milliseconds.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time

import aiohttp


def update(update_id: int) -> bytes:
    chat = update_id % 1000
    message = {"message_id": update_id, "date": 0, "chat": {"id": chat, "type": "private"}, "text": "bench"}
    return json.dumps({"update_id": update_id, "message": message}).encode()


async def drive(url: str, secret: str, count: int, concurrency: int, first: int) -> dict[str, float]:
    latencies: list[float] = []
    failures = 0
    ids = iter(range(first, first + count))
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal failures
            for update_id in ids:
                body = update(update_id)
                started = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    ok = 200 <= response.status < 300
                latencies.append(time.perf_counter() - started)
                failures += 0 if ok else 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "accepted": len(latencies) - failures,
        "failed": failures,
        "seconds": elapsed,
        "p50_ms": quantiles[49] * 1000,
        "p99_ms": quantiles[98] * 1000,
    }


def main() -> None:
    url, secret, count, concurrency, first = sys.argv[1:6]
    result = asyncio.run(drive(url, secret, int(count), int(concurrency), int(first)))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
