"""Binding: ``--host localhost`` listens on both loopback families, on one port."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from mockserver.errors import UsageError
from mockserver.server import serving

from ..server_process import serve

HEALTH = b"GET /__mockserver/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"


def _answer(family: socket.AddressFamily, address: str, port: int) -> bytes:
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect((address, port))
        sock.sendall(HEALTH)
        return sock.recv(4096)


@pytest.mark.process
def test_localhost_answers_on_ipv4_and_ipv6(tmp_path: Path) -> None:
    """Check that 'serve --host localhost' answers on 127.0.0.1 and on ::1 (Node 17+ tries ::1
    first; only 127.0.0.1 answered)."""
    with serve(tmp_path, "--host", "localhost", "--quiet") as server:
        assert _answer(socket.AF_INET, "127.0.0.1", server.port).startswith(b"HTTP/1.1 200")
        assert _answer(socket.AF_INET6, "::1", server.port).startswith(b"HTTP/1.1 200")


def test_listen_all_takes_one_port_for_both_and_names_a_clash() -> None:
    """Check that port 0 gives both sockets the same port, and that a fixed port already taken
    on ::1 is a usage error naming it."""
    socks = serving.listen_all("localhost", 0)
    try:
        assert [s.family for s in socks] == [socket.AF_INET, socket.AF_INET6]
        assert socks[0].getsockname()[1] == socks[1].getsockname()[1]
    finally:
        for sock in socks:
            sock.close()
    taken = serving.listen("::1", 0)
    try:
        with pytest.raises(UsageError, match=r"\[::1\]"):
            serving.listen_all("localhost", taken.getsockname()[1])
    finally:
        taken.close()
    [only] = serving.listen_all("127.0.0.1", 0)
    only.close()
    assert only.family == socket.AF_INET
