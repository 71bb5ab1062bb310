"""Shared fixtures for the in-process app tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from mockserver.server.app import create_app
from mockserver.server.store import Store
from mockserver.settings import Settings

AppClientFactory = Callable[..., Awaitable[TestClient]]


@pytest.fixture
async def app_clients() -> AsyncIterator[AppClientFactory]:
    """``make(records, **settings)``: an in-process app client, closed after the test."""
    clients: list[TestClient] = []

    async def make(records: Sequence[dict[str, Any]], **overrides: Any) -> TestClient:
        settings = Settings(**{"access_log": False, **overrides})
        client = TestClient(TestServer(create_app(settings, Store(records))))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()
