"""``proxy --record FILE --har FILE``: client traffic through the proxy as a fixture file and a HAR."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from mockserver.dataset import load_records
from mockserver.model import PUBLIC_FIELDS
from mockserver.pytest_plugin import TrainSessionsAPI
from mockserver.tools.proxy import ProxyConfig, create_proxy_app, upstream_base
from mockserver.tools.proxy_record import ProxyRecorder

TOKEN = "proxy-record-secret-77"
Factory = Callable[..., TrainSessionsAPI]
ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]


async def test_what_clients_read_becomes_a_fixture_file_and_a_scrubbed_har(
    train_sessions_api_factory: Factory, aiohttp_client: ClientFactory, tmp_path: Path
) -> None:
    """Check that the GET answers that went through (a filtered index, shows, a gzip one, a 404)
    become the records they showed, byte-identical to the upstream's, and a HAR in which neither
    the proxy's token nor a client's appears."""
    upstream = train_sessions_api_factory(tokens={TOKEN: None})
    recorder = ProxyRecorder(TOKEN, tmp_path / "traffic.har", tmp_path / "recorded.json")
    config = ProxyConfig(upstream_base(upstream.url), TOKEN, 5.0, access_log=False)
    client = await aiohttp_client(create_proxy_app(config, lambda _: None, observe=recorder.observe))
    listed = await (await client.get("/api/train_sessions?full_name_cont=an")).json()
    shows = [await (await client.get(f"/api/train_sessions/{r['id']}")).json() for r in listed[:3]]
    assert (await client.get("/api/train_sessions/999999")).status == 404
    gz = await client.get("/api/train_sessions/3", headers={"Accept-Encoding": "gzip"})
    assert gz.status == 200
    await client.get(
        "/api/train_sessions?token=client-secret-9",
        headers={"Authorization": "Token token=client-header-tok-5f5e"},
    )
    err = io.StringIO()
    assert recorder.finish(err) == 0
    recorded = load_records(tmp_path / "recorded.json")
    expected = {r["id"]: {k: r[k] for k in PUBLIC_FIELDS} for r in [*listed, *shows]}
    assert {r["id"]: {k: r[k] for k in PUBLIC_FIELDS} for r in recorded if r["id"] in expected} == expected
    assert 3 in {r["id"] for r in recorded}  # from the gzip answer, decoded
    har = (tmp_path / "traffic.har").read_text()
    assert TOKEN not in har and "client-secret-9" not in har and "client-header-tok-5f5e" not in har
    assert len(json.loads(har)["log"]["entries"]) == 1 + len(shows) + 3  # index, shows, 404, gzip, token
    assert "replay with: mockserver serve --fixtures" in err.getvalue()


def test_a_schema_violation_writes_no_fixture_file(tmp_path: Path) -> None:
    """Check that an answer that breaks the schemas keeps --record from being written, as record does."""
    from multidict import CIMultiDict
    from yarl import URL

    recorder = ProxyRecorder(None, None, tmp_path / "recorded.json")
    body = json.dumps({"id": 3, "score": "87"}).encode()
    url = URL("http://up.test/api/train_sessions/3")
    recorder.observe("GET", url, CIMultiDict(), 200, {"Content-Type": "application/json"}, body, 0.0, 1.0)
    err = io.StringIO()
    assert recorder.finish(err) == 1
    assert not (tmp_path / "recorded.json").exists()
    assert "nothing written to" in err.getvalue() and "/score" in err.getvalue()


@pytest.mark.process
def test_proxy_record_end_to_end(train_sessions_api_factory: Factory, tmp_path: Path) -> None:
    """Check the CLI: --record and --har are written when the proxy is stopped with SIGTERM."""
    upstream = train_sessions_api_factory(tokens={TOKEN: None})
    out_file, har_file = tmp_path / "recorded.json", tmp_path / "traffic.har"
    command = [sys.executable, "-m", "mockserver", "proxy", "--upstream", upstream.url, "--port", "0"]
    command += ["--quiet", "--record", str(out_file), "--har", str(har_file)]
    env = {**os.environ, "MOCKSERVER_API_TOKEN": TOKEN}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        match = re.search(r"proxying (http://\S+) -> ", process.stdout.readline())
        assert match
        with urllib.request.urlopen(match.group(1) + "/api/train_sessions", timeout=10) as r:
            listed = json.loads(r.read())
    finally:
        process.terminate()
        _, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert len(load_records(out_file)) == len(listed) > 0
    assert f"wrote 1 exchanges to {har_file}" in err and TOKEN not in har_file.read_text()


def test_a_missing_directory_is_refused_before_the_proxy_starts(tmp_path: Path) -> None:
    """Check that --record into a directory that does not exist stops at once, not at the end."""
    from mockserver.cli import main

    err = io.StringIO()
    code = main(
        ["proxy", "--upstream", "http://127.0.0.1:9", "--record", str(tmp_path / "no" / "x.json")], err=err
    )
    assert code == 2 and "does not exist" in err.getvalue()
