"""The access log: the line ``logging`` wrote, batched into one write per event-loop iteration."""

from __future__ import annotations

import asyncio
import io
import logging
import re
from collections.abc import Iterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from mockserver.generate import generate_records
from mockserver.server import accesslog
from mockserver.server.accesslog import LOGGER_NAME, AccessLog
from mockserver.server.app import create_app
from mockserver.server.store import Store
from mockserver.settings import Settings

CLI_FORMAT = "%(asctime)s %(name)s %(message)s"  # what ``mockserver.cli.main`` configures


class CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


@pytest.fixture
def stream() -> Iterator[CountingStream]:
    """The access logger enabled for INFO, into a stream handler (as the CLI sets it up)."""
    logger = logging.getLogger(LOGGER_NAME)
    sink = CountingStream()
    handler = logging.StreamHandler(sink)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield sink
    logger.removeHandler(handler)
    logger.setLevel(level)


async def test_line_is_the_one_logging_wrote(stream: CountingStream, monkeypatch: pytest.MonkeyPatch) -> None:
    """Check a line equals what logging.Formatter made of the old access-log call."""
    now = 1_795_785_138.7588968
    monkeypatch.setattr(accesslog.time, "time", lambda: now)
    log = AccessLog()
    log.request("GET", "/api/train_sessions?api_token=s3cret&score=80", 200, 1.234, "score")
    await asyncio.sleep(0)
    record = logging.LogRecord(
        LOGGER_NAME,
        logging.INFO,
        __file__,
        1,
        "%s %s %d %.1fms%s",
        ("GET", "/api/train_sessions?api_token=[REDACTED]&score=80", 200, 1.234, " ignored: score"),
        None,
    )
    record.created, record.msecs = now, int((now - int(now)) * 1000)
    assert stream.getvalue() == logging.Formatter(CLI_FORMAT).format(record) + "\n"


async def test_lines_are_written_once_per_loop_iteration(stream: CountingStream) -> None:
    """Check the lines of one event-loop iteration reach the stream in a single write."""
    log = AccessLog()
    for n in range(50):
        log.request("GET", f"/api/train_sessions/{n}", 200, 0.1, None)
    assert stream.writes == 0
    await asyncio.sleep(0)
    assert stream.writes == 1 and len(stream.getvalue().splitlines()) == 50
    log.request("GET", "/api/train_sessions", 404, 0.1, None)
    await asyncio.sleep(0)
    assert stream.writes == 2


async def test_disabled_logger_writes_nothing(stream: CountingStream) -> None:
    """Check nothing is written when mockserver.access is not enabled for INFO (as before)."""
    logging.getLogger(LOGGER_NAME).setLevel(logging.WARNING)
    log = AccessLog()
    log.request("GET", "/api/train_sessions", 200, 0.1, None)
    await asyncio.sleep(0)
    assert stream.getvalue() == ""


async def test_app_logs_every_request_by_default(stream: CountingStream) -> None:
    """Check the default app logs API and control requests, secrets redacted, flushed on close."""
    app = create_app(Settings(auth=False), Store(generate_records(1, 5)))
    async with TestClient(TestServer(app)) as client:
        await client.get("/api/train_sessions?token=abc&score=80")
        await client.get("/__mockserver/health")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} mockserver\.access GET "
    target = re.escape("/api/train_sessions?token=[REDACTED]&score=80")
    api = re.fullmatch(stamp + target + r" 200 \d+\.\dms ignored: (.*)", lines[0])
    assert api is not None and "score" in api.group(1)
    assert re.fullmatch(stamp + r"/__mockserver/health 200 \d+\.\dms", lines[1])
