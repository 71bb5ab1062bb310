"""Serving: ``--host localhost`` on both loopback families, graceful shutdown on SIGTERM, the
open-file limit, idle and slow clients, and workers that die with their parent."""

from __future__ import annotations

import asyncio
import json
import random
import resource
import signal
import socket
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from mockserver.errors import UsageError
from mockserver.server import serving

from ..server_process import serve

INDEX = "/api/train_sessions"
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


# --- graceful shutdown -------------------------------------------------------------------------


async def _read(session: aiohttp.ClientSession, url: str) -> tuple[int, bytes]:
    async with session.get(url) as response:
        return response.status, await response.read()


def _read_response(sock: socket.socket, first: bytes) -> tuple[bytes, bytes]:
    """Headers and body of one HTTP/1.1 response with Content-Length, read to the end."""
    data = first
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "connection closed before the headers"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    chunks = [body]
    received = len(body)
    while received < length:
        chunk = sock.recv(1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
        received += len(chunk)
    return head, b"".join(chunks)


@pytest.mark.process
def test_sigterm_finishes_the_request_in_flight(tmp_path: Path) -> None:
    """Check that SIGTERM during a large response still delivers all of it, then exits 0."""
    count = 30_000  # a ~10 MB index: far more than the socket buffers hold
    with serve(tmp_path, "--seed", "5", "--count", str(count), "--no-auth", "--quiet") as server:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        with sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
            sock.sendall(f"GET {INDEX} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
            first = sock.recv(4096)  # the answer has started: the request is in flight
            assert first.startswith(b"HTTP/1.1 200")
            server.process.send_signal(signal.SIGTERM)
            time.sleep(0.3)  # let the server act on the signal while the body is unsent
            _, body = _read_response(sock, first)
        assert len(json.loads(body)) == count
        assert server.process.wait(30) == 0
    assert "shutting down" in server.logs()


@pytest.mark.process
async def test_sigterm_lets_a_delayed_handler_finish(tmp_path: Path) -> None:
    """Check that a request still inside its handler when SIGTERM arrives gets its whole answer
    (slowed down by the control API's latency injection)."""
    with serve(tmp_path, "--seed", "6", "--count", "500", "--no-auth", "--quiet") as server:
        async with aiohttp.ClientSession() as session:
            fault = {"delay_ms": 1500, "times": 1, "path": "/api/*"}
            async with session.post(server.base + "/__mockserver/faults", json=fault) as response:
                assert response.status == 201, await response.text()  # the delay is injected
            pending = asyncio.ensure_future(_read(session, server.base + INDEX))
            await asyncio.sleep(0.5)  # well inside the 1.5 s delay
            server.process.send_signal(signal.SIGTERM)
            status, body = await asyncio.wait_for(pending, 30)
        assert status == 200
        assert len(json.loads(body)) == 500
        assert server.process.wait(30) == 0


# --- descriptors, idle and slow clients ----------------------------------------------------------


def _soft_limit(soft: int, hard: int | None = None) -> Callable[[], None]:
    """A preexec_fn giving the server process this open-file limit."""

    def lower() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard if hard is not None else soft))

    return lower


def _server_soft_limit(pid: int) -> int:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            return int(line.split()[3])
    raise AssertionError("no open-file limit in /proc")


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """True when the server closes ``sock`` within ``seconds`` (reads and drops any answer)."""
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


@pytest.mark.process
def test_the_soft_open_file_limit_is_raised_to_the_hard_one(tmp_path: Path) -> None:
    """Check that a server started with soft limit 256 runs with the hard limit, and says so
    only when even that is low."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    assert hard > 512, "this machine's hard limit is too low for this test"
    with serve(tmp_path, "--quiet", preexec_fn=_soft_limit(256, hard)) as server:
        assert _server_soft_limit(server.process.pid) == hard
        assert "open-file limit" not in server.logs() or hard < 4096
    with serve(tmp_path, "--quiet", preexec_fn=_soft_limit(300)) as server:
        assert "open-file limit is 300" in server.logs()


@pytest.mark.process
def test_idle_connections_cannot_lock_clients_out(tmp_path: Path) -> None:
    """Check that idle keep-alive connections filling every descriptor are reported once and
    closed after --idle-timeout, after which new clients are served (they were locked out for
    3,630 s, nothing logged)."""
    limit = 96
    with serve(tmp_path, "--quiet", "--idle-timeout", "2", preexec_fn=_soft_limit(limit)) as server:
        idle = []
        try:
            for _ in range(limit + 20):
                idle.append(socket.create_connection(("127.0.0.1", server.port), timeout=5))
            deadline = time.monotonic() + 10
            while "out of file descriptors" not in server.logs():
                assert time.monotonic() < deadline, server.logs()
                time.sleep(0.1)
            time.sleep(3)  # past the idle timeout: the held connections are closed
            with urllib.request.urlopen(server.base + "/__mockserver/health", timeout=5) as response:
                assert response.status == 200
        finally:
            for sock in idle:
                sock.close()
        assert server.logs().count("out of file descriptors") == 1


@pytest.mark.process
def test_idle_and_slow_header_clients_are_cut(tmp_path: Path) -> None:
    """Check that a silent connection closes after --idle-timeout and one trickling its headers
    after --header-timeout (aiohttp kept both for 3,630 s), while a prompt client is served."""
    with serve(tmp_path, "--quiet", "--idle-timeout", "1", "--header-timeout", "30") as server:
        silent = socket.create_connection(("127.0.0.1", server.port))
        started = time.monotonic()
        assert _closed_within(silent, 5)
        assert time.monotonic() - started < 4
        silent.close()
    with serve(tmp_path, "--quiet", "--idle-timeout", "30", "--header-timeout", "1") as server:
        address = ("127.0.0.1", server.port)
        with socket.create_connection(address) as slow:
            started = time.monotonic()
            for byte in b"GET /__mockserver/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n":
                try:
                    slow.sendall(bytes([byte]))
                except (BrokenPipeError, ConnectionResetError):
                    break
                time.sleep(0.05)
            assert _closed_within(slow, 5)
            assert time.monotonic() - started < 4.5
        with socket.create_connection(address, timeout=5) as prompt:
            prompt.sendall(b"GET /__mockserver/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert prompt.recv(4096).startswith(b"HTTP/1.1 200")
            time.sleep(1.5)  # idle, not slow: kept open past the header timeout
            prompt.sendall(b"GET /__mockserver/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert prompt.recv(4096).startswith(b"HTTP/1.1 200")


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status  # a zombie serves nothing


@pytest.mark.process
def test_workers_exit_when_their_parent_is_killed(tmp_path: Path) -> None:
    """Check that SIGKILL of 'serve --workers 2' takes its worker down within seconds (the
    orphan kept serving old data on the shared port)."""
    port = random.randint(40000, 60000)
    with serve(tmp_path, "--quiet", "--workers", "2", "--port", str(port)) as server:
        deadline = time.monotonic() + 10
        while not (workers := _children(server.process.pid)):
            assert time.monotonic() < deadline, "no worker started"
            time.sleep(0.05)
        server.process.kill()
        server.process.wait(10)
        deadline = time.monotonic() + 5
        while any(_alive(worker) for worker in workers):
            assert time.monotonic() < deadline, f"worker {workers} still alive after its parent"
            time.sleep(0.05)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def _raw(port: int, target: str) -> bytes:
    request = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.process
def test_long_targets_are_refused_where_puma_refuses_them(tmp_path: Path) -> None:
    """Check that Puma's parser limits decide, not aiohttp's 8,190-byte request line: a query of
    10,240 bytes, a path of 8,192 and a target of 12,288 are served (real Rails answered 200 and
    401 there), one byte more is Puma's bare '400 Bad Request' with no headers."""
    rng = random.Random(11)
    query_at_limit = "a=" + "".join(rng.choice("xyz") for _ in range(10 * 1024 - 2))
    path_at_limit = INDEX + "/" + "9" * (8 * 1024 - len(INDEX) - 1)
    with serve(tmp_path, "--no-auth", "--quiet") as server:
        assert _raw(server.port, f"{INDEX}?{query_at_limit}").startswith(b"HTTP/1.1 200 OK\r\n")
        assert _raw(server.port, path_at_limit).startswith(b"HTTP/1.1 404 ")
        assert _raw(server.port, f"{INDEX}?{query_at_limit}x") == b"HTTP/1.1 400 Bad Request\r\n\r\n"
        assert _raw(server.port, path_at_limit + "9") == b"HTTP/1.1 400 Bad Request\r\n\r\n"
        long_uri = f"{INDEX}/{'9' * 2100}?{query_at_limit}"
        assert _raw(server.port, long_uri) == b"HTTP/1.1 400 Bad Request\r\n\r\n"
