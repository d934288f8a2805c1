"""Fixtures of the KIE client tests: a scripted KIE stand-in and a client factory pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from shared.kie import KieClient, KieTimeouts, RetryPolicy
from tests.shared.kie.stub import KieStub

API_KEY = "kie-test-key-7d41c0ffee5ecret"
FAST_TIMEOUTS = KieTimeouts(connect=0.5, read=0.3, total=1.0, upload_total=2.0)
FAST_RETRY = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05)

ClientFactory = Callable[..., Awaitable[KieClient]]


@pytest.fixture(name="stub")
async def _stub(free_port: int) -> AsyncIterator[KieStub]:
    stub = KieStub(free_port)
    await stub.start()
    yield stub
    await stub.stop()


@pytest.fixture(name="make_client")
async def _make_client(stub: KieStub) -> AsyncIterator[ClientFactory]:
    """Build started clients pointed at the stub (overridable per call); all are closed afterwards."""
    clients: list[KieClient] = []

    async def create(**overrides: Any) -> KieClient:
        options: dict[str, Any] = {
            "api_base_url": stub.url,
            "upload_base_url": stub.url,
            "api_key": API_KEY,
            "timeouts": FAST_TIMEOUTS,
            "retry_policy": FAST_RETRY,
        }
        options.update(overrides)
        client = KieClient(**options)
        clients.append(client)
        await client.start()
        return client

    yield create
    for client in clients:
        await client.close()
