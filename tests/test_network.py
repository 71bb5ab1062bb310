"""``mockserver.network.is_loopback``: the one loopback test (issue 8: cli and control disagreed)."""

from __future__ import annotations

import io

import pytest

from mockserver.network import is_loopback


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.0.0.2",
        "127.255.255.254",
        "::1",
        "[::1]",
        "localhost",
        "LOCALHOST",
        "localhost.",
        "::1%lo",
    ],
)
def test_loopback_hosts(host: str) -> None:
    """Check that all of 127.0.0.0/8, ::1 and the name localhost count as loopback."""
    assert is_loopback(host)


@pytest.mark.parametrize(
    "host",
    [
        "0.0.0.0",
        "::",
        "10.0.0.1",
        "128.0.0.1",
        "::2",
        "example.com",
        "localhost.example.com",
        "",
        "127.0.0.1.nip.io",
    ],
)
def test_other_hosts(host: str) -> None:
    """Check that wildcard, private and named hosts are not loopback (a name can resolve anywhere)."""
    assert not is_loopback(host)


def test_cli_does_not_warn_about_127_0_0_2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Check that serve's banner and the control API agree: 127.0.0.2 is not reachable from other machines."""
    from mockserver import cli
    from mockserver.server.store import Store
    from mockserver.settings import Settings

    out = io.StringIO()
    cli._banner(Settings(host="127.0.0.2", port=0), 3000, Store([]), out)
    assert "reachable from other machines" not in out.getvalue()
    out = io.StringIO()
    cli._banner(Settings(host="0.0.0.0", port=0), 3000, Store([]), out)
    assert "reachable from other machines" in out.getvalue()
