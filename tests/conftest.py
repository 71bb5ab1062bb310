"""Shared fixtures for the in-process app tests, and the check that keeps the process marker true."""

from __future__ import annotations

import subprocess
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


@pytest.fixture(autouse=True)
def _subprocesses_are_marked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test that starts a subprocess must be marked ``process``, so that the inner loop
    ``pytest -m "not process"`` stays in-process and quick (docs/development.md)."""
    if request.node.get_closest_marker("process") is not None:
        return
    nodeid = request.node.nodeid

    def refuse(*args: Any, **kwargs: Any) -> None:
        pytest.fail(f"{nodeid} starts a subprocess: mark it @pytest.mark.process", pytrace=False)

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
