"""``mockserver record --har`` and ``--from-har``: HAR 1.2 out (secrets redacted) and in."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from mockserver.cli import main
from mockserver.generate import generate_records
from mockserver.model import HIDDEN_FIELDS, PUBLIC_FIELDS
from mockserver.pytest_plugin import TrainSessionsAPI

TOKEN = "har-secret-0b7e"
Factory = Callable[..., TrainSessionsAPI]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def recorded(train_sessions_api_factory: Factory, tmp_path: Path) -> tuple[Path, Path, list[dict[str, Any]]]:
    """(fixture file, HAR file, the token's records) of one `record --har` run."""
    records = generate_records(21, 25, accounts=("acme", "other"))
    upstream = train_sessions_api_factory(records=records, tokens={TOKEN: "acme"})
    fixture, har = tmp_path / "rec.json", tmp_path / "rec.har"
    code, _out, err = run(
        "record", "--upstream", upstream.url, "--api-token", TOKEN, "--out", str(fixture),
        "--har", str(har), "--rate", "0",
    )  # fmt: skip
    assert code == 0, err
    mine = sorted((r for r in records if r.get("account") == "acme"), key=lambda r: r["id"])
    return fixture, har, mine


def test_har_holds_every_exchange_without_the_token(
    recorded: tuple[Path, Path, list[dict[str, Any]]],
) -> None:
    """Check that --har writes a HAR 1.2 log of the index and every show, with the token redacted."""
    _, har, mine = recorded
    text = har.read_text(encoding="utf-8")
    assert TOKEN not in text
    log = json.loads(text)["log"]
    assert log["version"] == "1.2"
    assert len(log["entries"]) == 1 + len(mine)
    first = log["entries"][0]
    assert first["request"]["url"].endswith("/api/train_sessions")
    assert first["response"]["status"] == 200
    auth = [h["value"] for h in first["request"]["headers"] if h["name"].lower() == "authorization"]
    assert auth and all("har-secret" not in v for v in auth)
    for entry in log["entries"]:
        for field in ("startedDateTime", "time", "request", "response", "cache", "timings"):
            assert field in entry


def test_a_har_written_by_record_rebuilds_the_same_fixtures(
    recorded: tuple[Path, Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    """Check that `record --from-har` on record's own HAR writes byte-identical fixtures."""
    fixture, har, _ = recorded
    rebuilt = tmp_path / "rebuilt.json"
    code, _, err = run("record", "--from-har", str(har), "--out", str(rebuilt))
    assert code == 0, err
    assert rebuilt.read_bytes() == fixture.read_bytes()


def _browser_har(bodies: list[tuple[str, int, Any]]) -> dict[str, Any]:
    """A HAR as devtools saves it: other requests mixed in, bodies as text."""
    entries = [
        {
            "request": {"method": "GET", "url": url, "headers": []},
            "response": {
                "status": status,
                "content": {"mimeType": "application/json", "text": json.dumps(body)},
            },
        }
        for url, status, body in bodies
    ]
    entries.append({"request": {"method": "GET", "url": "https://x/app.js"}, "response": {"status": 200}})
    return {"log": {"version": "1.2", "entries": entries}}


def test_from_har_merges_index_and_shows_by_id_and_drops_hidden_fields(tmp_path: Path) -> None:
    """Check that a browser capture's filtered index and shows merge into public-field records."""
    records = generate_records(3, 6)
    public = [{k: r[k] for k in PUBLIC_FIELDS} for r in records]
    base = "https://learninglogin.com/api/train_sessions"
    har = tmp_path / "browser.har"
    har.write_text(
        json.dumps(
            _browser_har(
                [
                    (f"{base}?full_name_cont=a", 200, sorted(public[:3], key=lambda r: -r["id"])),
                    (f"{base}/{public[4]['id']}.json", 200, public[4]),
                    (f"{base}/{public[5]['id']}", 404, {"status": 404, "error": "Not Found"}),
                    (f"{base}/{public[2]['id']}", 200, public[2]),
                ]
            )
        )
    )
    out = tmp_path / "fixtures.json"
    code, _, err = run("record", "--from-har", str(har), "--out", str(out))
    assert code == 0, err
    written = json.loads(out.read_text())
    assert [r["id"] for r in written] == sorted(r["id"] for r in [*public[:3], public[4]])
    assert written == sorted([*public[:3], public[4]], key=lambda r: r["id"])
    assert not any(name in r for r in written for name in HIDDEN_FIELDS)


def test_from_har_refuses_disagreeing_answers_and_schema_breaks(tmp_path: Path) -> None:
    """Check that answers disagreeing about an id, or breaking the schema, write nothing (exit 1)."""
    record = {k: v for k, v in generate_records(4, 1)[0].items() if k in PUBLIC_FIELDS}
    base = "https://learninglogin.com/api/train_sessions"
    har = tmp_path / "bad.har"
    har.write_text(
        json.dumps(
            _browser_har(
                [
                    (base, 200, [record]),
                    (f"{base}/{record['id']}", 200, record | {"score": (record["score"] or 0) + 1}),
                    (f"{base}/999", 200, {"id": "nine"}),
                ]
            )
        )
    )
    out = tmp_path / "fixtures.json"
    code, _, err = run("record", "--from-har", str(har), "--out", str(out))
    assert code == 1
    assert "one record per id" in err and "/id" in err and not out.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not JSON"),
        ('{"log": {}}', "not a HAR file"),
        ('{"log": {"entries": []}}', "no 200 answer"),
        ('{"log": []}', "not a HAR file"),
        ('{"log": "x"}', "not a HAR file"),
        ("[]", "not a HAR file"),
        ('{"log": {"entries": {}}}', "not a HAR file"),
        ('{"log": {"entries": ["x"]}}', "entry 0 is a string, not an object"),
        ('{"log": {"entries": [{"request": "GET /"}]}}', "entry 0: request is a string"),
        ('{"log": {"entries": [{"request": {}, "response": []}]}}', "entry 0: response is an array"),
        (
            '{"log": {"entries": [{"request": {"method": "GET", "url": "https://a.example/api/train_sessions"},'
            ' "response": {"status": 200, "content": "[]"}}]}}',
            "entry 0: response.content is a string",
        ),
        (
            '{"log": {"entries": [{"request": {"method": "GET", "url": "http://[::1"},'
            ' "response": {"status": 200}}]}}',
            "request.url 'http://[::1' is not a URL",
        ),
        ("[" * 100_000 + "]" * 100_000, "not JSON"),
        ('"\\ud800"', "not a HAR file"),
    ],
)
def test_from_har_input_errors_are_usage_errors(content: str, message: str, tmp_path: Path) -> None:
    """Check that an unreadable or empty capture is one `mockserver: error:` line, exit 2."""
    har = tmp_path / "x.har"
    har.write_text(content)
    code, _, err = run("record", "--from-har", str(har), "--out", str(tmp_path / "o.json"))
    assert code == 2 and err.startswith("mockserver: error:") and message in err


def _entry(url: str, body: Any) -> dict[str, Any]:
    return _browser_har([(url, 200, body)])["log"]["entries"][0]


def test_from_har_reads_one_origin_and_reports_the_others(tmp_path: Path) -> None:
    """Check that a capture holding several sites' API answers yields only one origin's records
    (the first API answer's, or --upstream's) and says how many of the others it skipped."""
    mine, theirs = ([{k: r[k] for k in PUBLIC_FIELDS} for r in generate_records(seed, 2)] for seed in (5, 6))
    entries = [
        _entry("https://learninglogin.com/api/train_sessions", mine),
        _entry("https://staging.example/api/train_sessions", theirs),
        _entry("https://staging.example/api/train_sessions/1", theirs[0]),
        _entry("http://learninglogin.com/api/train_sessions", theirs),  # another scheme: another origin
    ]
    har = tmp_path / "devtools.har"
    har.write_text(json.dumps({"log": {"entries": entries}}))
    out = tmp_path / "o.json"
    code, _, err = run("record", "--from-har", str(har), "--out", str(out))
    assert code == 0, err
    assert json.loads(out.read_text()) == sorted(mine, key=lambda r: r["id"])
    assert "read only https://learninglogin.com; skipped 3 API answers" in err
    assert "https://staging.example (2)" in err and "http://learninglogin.com (1)" in err
    code, _, err = run(
        "record", "--from-har", str(har), "--upstream", "https://staging.example", "--out", str(out)
    )
    assert code == 0, err
    assert json.loads(out.read_text()) == sorted(theirs, key=lambda r: r["id"])
    code, _, err = run("record", "--from-har", str(har), "--upstream", "https://x.example", "--out", str(out))
    assert code == 2 and "from https://x.example" in err


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
har_like = st.fixed_dictionaries(
    {
        "log": st.one_of(
            json_values,
            st.fixed_dictionaries(
                {
                    "entries": st.lists(
                        st.one_of(
                            json_values,
                            st.fixed_dictionaries(
                                {
                                    "request": st.one_of(
                                        json_values,
                                        st.fixed_dictionaries(
                                            {
                                                "method": st.sampled_from(["GET", "POST"]) | json_values,
                                                "url": st.sampled_from(
                                                    [
                                                        "https://a.example/api/train_sessions",
                                                        "/api/train_sessions/1.json",
                                                        "http://[::1",
                                                    ]
                                                )
                                                | json_values,
                                            }
                                        ),
                                    ),
                                    "response": st.one_of(
                                        json_values,
                                        st.fixed_dictionaries(
                                            {
                                                "status": st.just(200) | json_values,
                                                "content": json_values
                                                | st.fixed_dictionaries({"text": json_values}),
                                            }
                                        ),
                                    ),
                                }
                            ),
                        ),
                        max_size=4,
                    )
                }
            ),
        )
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=st.one_of(json_values, har_like))
def test_from_har_never_crashes(document: Any, tmp_path: Path) -> None:
    """Check that any JSON document given to --from-har ends in exit 0, 1 (schema problems) or 2
    (one 'mockserver: error:' line), never a traceback."""
    note(json.dumps(document)[:500])
    har = tmp_path / "any.har"
    har.write_text(json.dumps(document))
    code, _, err = run("record", "--from-har", str(har), "--out", str(tmp_path / "o.json"))
    assert code in (0, 1, 2), err
    assert "Traceback" not in err
    if code == 2:
        assert err.startswith("mockserver: error:") or "mockserver: record:" in err.splitlines()[0]


def test_record_needs_a_source(tmp_path: Path) -> None:
    """Check that record without --upstream or --from-har says which to give."""
    code, _, err = run("record", "--out", str(tmp_path / "o.json"))
    assert code == 2 and "--upstream" in err and "--from-har" in err


def test_har_scrubs_the_token_from_every_field() -> None:
    """Check that a token the upstream reflects (Location, a header name and value, a JSON or
    a binary body, the Content-Type) appears nowhere in the HAR, base64 content included."""
    from multidict import CIMultiDict, CIMultiDictProxy
    from yarl import URL

    from mockserver.tools.har import HarLog
    from mockserver.tools.upstream import Exchange, UpstreamAnswer

    headers = CIMultiDictProxy(
        CIMultiDict(
            {
                "Location": f"https://x.example/login?next=/a&t={TOKEN}",
                "Content-Type": f"application/json; echo={TOKEN}",
                f"X-Echo-{TOKEN}": f"Token token={TOKEN}",
            }
        )
    )
    har = HarLog(TOKEN)
    for body in (json.dumps({"token": TOKEN}).encode(), b"\xff\xfe" + TOKEN.encode() + b"\x80"):
        answer = UpstreamAnswer(302, headers, body, "/api/train_sessions")
        url = URL(f"http://127.0.0.1:1/api/train_sessions?q={TOKEN}")
        har.add(Exchange(url, {"Authorization": f'Token token="{TOKEN}"'}, answer, 0.0, 1.0, "HTTP/1.1"))
    text = json.dumps(har.document())
    assert TOKEN not in text
    entries = har.document()["log"]["entries"]
    assert entries[0]["response"]["redirectURL"].startswith("https://x.example/login?next=/a&t=")
    binary = entries[1]["response"]["content"]
    assert binary["encoding"] == "base64" and TOKEN.encode() not in base64.b64decode(binary["text"])


def test_har_and_out_replace_a_symlink_instead_of_writing_through_it(
    train_sessions_api_factory: Factory, tmp_path: Path
) -> None:
    """Check that --har and --out planted as symlinks to another file are replaced by regular
    files, and the file they pointed to is untouched (the write is a rename, never through)."""
    upstream = train_sessions_api_factory(records=generate_records(22, 5), tokens={TOKEN: None})
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    fixture, har = tmp_path / "rec.json", tmp_path / "rec.har"
    fixture.symlink_to(victim)
    har.symlink_to(victim)
    code, _, err = run(
        "record", "--upstream", upstream.url, "--api-token", TOKEN, "--out", str(fixture),
        "--har", str(har), "--rate", "0",
    )  # fmt: skip
    assert code == 0, err
    assert victim.read_text() == "keep me"
    assert not har.is_symlink() and json.loads(har.read_text())["log"]["version"] == "1.2"
    assert not fixture.is_symlink() and len(json.loads(fixture.read_text())) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.har", "rec.json", "victim.txt"]
