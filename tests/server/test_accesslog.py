"""The access log: the line ``logging`` wrote, batched into few writes."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from mockserver.cli import main
from mockserver.generate import generate_records
from mockserver.server import accesslog
from mockserver.server.accesslog import FLUSH_LINES, FLUSH_SECONDS, LOGGER_NAME, AccessLog
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
    log.request("GET", "/api/train_sessions?api_token=s3cret&score=80", 200, 1.234, ("score",))
    log.flush()
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


async def test_lines_are_written_in_batches(stream: CountingStream) -> None:
    """Check lines across event-loop iterations reach the stream in one write after
    FLUSH_SECONDS, and that a full batch is written at once."""
    log = AccessLog()
    for n in range(50):
        log.request("GET", f"/api/train_sessions/{n}", 200, 0.1)
        await asyncio.sleep(0)
    assert stream.writes == 0
    await asyncio.sleep(FLUSH_SECONDS * 1.5)
    assert stream.writes == 1 and len(stream.getvalue().splitlines()) == 50
    for _ in range(FLUSH_LINES + 1):
        log.request("GET", "/api/train_sessions", 404, 0.1)
    assert stream.writes == 2 and len(stream.getvalue().splitlines()) == 50 + FLUSH_LINES
    await asyncio.sleep(FLUSH_SECONDS * 1.5)
    assert stream.writes == 3 and len(stream.getvalue().splitlines()) == 51 + FLUSH_LINES


async def test_disabled_logger_writes_nothing(stream: CountingStream) -> None:
    """Check nothing is written when mockserver.access is not enabled for INFO (as before)."""
    logging.getLogger(LOGGER_NAME).setLevel(logging.WARNING)
    log = AccessLog()
    log.request("GET", "/api/train_sessions", 200, 0.1)
    log.flush()
    assert stream.getvalue() == ""


async def test_app_logs_every_request_by_default(stream: CountingStream) -> None:
    """Check the default app logs API and control requests, secrets redacted, what was ignored
    (also when answered from the memo), flushed on close."""
    app = create_app(Settings(auth=False), Store(generate_records(1, 5)))
    async with TestClient(TestServer(app)) as client:
        await client.get("/api/train_sessions?token=abc&score=80")
        await client.get("/__mockserver/health")
        await client.get("/api/train_sessions?token=abc&score=80")  # from the memo
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[2].partition("ms ignored: ")[2] == lines[0].partition("ms ignored: ")[2] != ""
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} mockserver\.access GET "
    target = re.escape("/api/train_sessions?token=[REDACTED]&score=80")
    api = re.fullmatch(stamp + target + r" 200 \d+\.\dms ignored: (.*)", lines[0])
    assert api is not None and "score" in api.group(1)
    assert re.fullmatch(stamp + r"/__mockserver/health 200 \d+\.\dms", lines[1])


async def test_json_format_is_one_object_per_request(stream: CountingStream) -> None:
    """Check --log-format json writes one JSON object per request with the documented fields."""
    app = create_app(Settings(auth=False, log_format="json"), Store(generate_records(1, 5)))
    async with TestClient(TestServer(app)) as client:
        await client.get("/api/train_sessions?api_key=abc&score=80&full_name_cont=a")
        await client.get("/api/train_sessions/999999")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert set(first) == {"time", "method", "path", "status", "ms", "ignored"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["time"])
    assert first["path"] == "/api/train_sessions?api_key=[REDACTED]&score=80&full_name_cont=a"
    assert (first["method"], first["status"]) == ("GET", 200) and first["ms"] >= 0
    assert [notice.split(":")[0] for notice in first["ignored"]] == ["api_key", "score"]  # one each
    assert (second["status"], second["ignored"]) == (404, [])


@pytest.mark.parametrize(
    ("argv", "env", "fragment"),
    [
        (["serve", "--log-format", "xml"], {}, "argument --log-format: invalid choice: 'xml'"),
        (["serve"], {"MOCKSERVER_LOG_FORMAT": "xml"}, "--log-format 'xml': expected one of text, json"),
    ],
)
def test_bad_log_format_is_one_error_line(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], env: dict[str, str], fragment: str
) -> None:
    """Check an unknown --log-format or MOCKSERVER_LOG_FORMAT exits 2 with one line naming it."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    err = io.StringIO()
    assert main(argv, io.StringIO(), err) == 2
    lines = err.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mockserver: error:") and fragment in lines[0]
