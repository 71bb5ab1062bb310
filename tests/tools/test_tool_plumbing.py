"""What every tool shares: a closed stdout pipe, the token from the environment, probe's count."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from mockserver.cli import build_parser, main
from mockserver.pytest_plugin import TrainSessionsAPI
from mockserver.tools import fingerprint
from mockserver.tools.probe import PROBES, Prober, run_probes

Factory = Callable[..., TrainSessionsAPI]


def run_into_closed_pipe(*argv: str) -> subprocess.CompletedProcess[str]:
    """``mockserver ARGV`` with stdout a pipe whose reader is already gone (``| head -0``)."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [sys.executable, "-m", "mockserver", *argv],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write)


@pytest.mark.process
def test_probe_into_a_closed_pipe_exits_quietly_with_its_code(train_sessions_api_factory: Factory) -> None:
    """Check that `probe URL | head -1` ends without a BrokenPipeError traceback and with probe's exit 0."""
    api = train_sessions_api_factory()
    result = run_into_closed_pipe("probe", api.url, "--api-token", api.token)
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr, result.stderr
    assert result.returncode == 0


@pytest.mark.process
def test_validate_into_a_closed_pipe_keeps_the_check_code(tmp_path: Path) -> None:
    """Check that `validate BAD | head -1` exits 1 (violations), not with a traceback."""
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"id": "x"}] * 2000))
    result = run_into_closed_pipe("validate", str(bad), "--schema", "list")
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr, result.stderr
    assert result.returncode == 1


def test_validate_url_reads_the_token_from_the_environment(
    train_sessions_api_factory: Factory, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Check that `validate URL` sends $MOCKSERVER_API_TOKEN (it was ignored, and the 401 said 'not JSON')."""
    api = train_sessions_api_factory(tokens={"env-token-7": None})
    monkeypatch.setenv("MOCKSERVER_API_TOKEN", "env-token-7")
    assert main(["validate", f"{api.url}/api/train_sessions?full_name_cont=a"]) == 0
    assert "valid against the list schema" in capsys.readouterr().out


def test_validate_url_names_the_token_on_a_401(
    train_sessions_api_factory: Factory, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Check that a 401 is reported as a token problem naming the variable, not as 'not JSON'."""
    api = train_sessions_api_factory(tokens={"env-token-7": None})
    monkeypatch.delenv("MOCKSERVER_API_TOKEN", raising=False)
    assert main(["validate", f"{api.url}/api/train_sessions"]) == 2
    err = capsys.readouterr().err
    assert "401" in err and "$MOCKSERVER_API_TOKEN" in err and "not JSON" not in err


async def test_probe_sends_each_listed_probe_once(train_sessions_api_factory: Factory) -> None:
    """Check that on data where every probe applies, probe --allow-errors sends exactly the GETs
    PROBES lists, and without it all but the fingerprint's 500-causing ones."""
    api = train_sessions_api_factory()
    prober = Prober(api.url, api.token, 10.0)
    async with prober.upstream:
        await run_probes(prober, allow_errors=True)
    assert prober.asked == list(PROBES)
    assert prober.sent == len(PROBES)
    safe = Prober(api.url, api.token, 10.0)
    async with safe.upstream:
        await run_probes(safe)
    assert safe.asked == [p for p in PROBES if p not in fingerprint.ERROR_LABELS]


def test_probe_help_states_the_real_count() -> None:
    """Check that probe's help gives the number of GETs it can send (it said ~25 and sent 20)."""
    assert f"at most {len(PROBES)} GETs" in " ".join(build_parser().format_help().split())


PACKAGE = Path(__file__).resolve().parents[2] / "mockserver"


def _sources() -> dict[str, str]:
    return {str(p.relative_to(PACKAGE)): p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py")}


def test_one_http_client_for_the_tools() -> None:
    """Check that only tools/upstream.py opens HTTP client sessions or connections (issue 8: one client)."""
    opening = re.compile(r"ClientSession\(|urlopen\(|http\.client|HTTPS?Connection\(")
    assert [name for name, text in _sources().items() if opening.search(text)] == ["tools/upstream.py"]


def test_one_token_header_builder() -> None:
    """Check that no module formats the token header by hand; engine/auth.token_header is the one."""
    by_hand = re.compile(r"""f['"][^'"\n]*Token token=\\?"\{""")
    assert [name for name, text in _sources().items() if by_hand.search(text)] == ["engine/auth.py"]


def test_one_index_url_function() -> None:
    """Check that only tools/upstream.py turns a user's URL into the index URL."""
    appending = re.compile(r"""(\+=|\)\s*\+)\s*["']/api/train_sessions["']""")
    assert [name for name, text in _sources().items() if appending.search(text)] == ["tools/upstream.py"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://h.test", "https://h.test/api/train_sessions"),
        ("https://h.test/", "https://h.test/api/train_sessions"),
        ("https://h.test/api", "https://h.test/api/train_sessions"),
        ("https://h.test/api/", "https://h.test/api/train_sessions"),
        ("https://h.test/api/train_sessions", "https://h.test/api/train_sessions"),
        ("https://h.test/api/train_sessions.json", "https://h.test/api/train_sessions"),
        ("https://h.test/api/train_sessions/", "https://h.test/api/train_sessions"),
        ("https://h.test/gateway", "https://h.test/gateway/api/train_sessions"),
    ],
)
def test_the_suite_and_the_tools_normalise_urls_alike(given: str, expected: str) -> None:
    """Check that the package's index_url and the contract suite's copy (which may import nothing
    from the package) agree on every URL form, and never build .../api/api/... or ....json/api/..."""
    from contract_tests.client import index_url as suite_index_url
    from mockserver.tools.upstream import index_url

    assert str(index_url(given)) == expected
    assert suite_index_url(given) == expected


def test_one_declaration_of_the_upstream_client_options() -> None:
    """Check that --upstream, --api-token, --concurrency, --rate, --timeout and --retries are
    declared once (upstream.add_client_options), so their defaults and help cannot drift."""
    names = "upstream|api-token|concurrency|rate|timeout|retries"
    declaring = re.compile(rf"""add_argument\(\s*f?["']--({names})""")
    assert [name for name, text in _sources().items() if declaring.search(text)] == ["tools/upstream.py"]
    subparsers = next(a for a in build_parser()._actions if a.choices and "record" in a.choices)
    helps: dict[str, set[str]] = {}
    for command in ("record", "proxy", "diff", "validate", "probe", "contract"):
        for action in subparsers.choices[command]._actions:
            if action.option_strings and action.option_strings[0] == "--api-token":
                assert action.help and "$MOCKSERVER_API_TOKEN" in action.help, command
            if action.option_strings and action.option_strings[0] == "--retries":
                helps.setdefault("retries", set()).add(str(action.help))
    assert len(helps["retries"]) == 1


@pytest.mark.parametrize("offset", [0, 10, 55, 59, 60])
def test_excerpts_are_scrubbed_before_the_cut(offset: int) -> None:
    """Check that a token starting anywhere inside an excerpt is replaced whole, never left
    half-cut (a cut token would escape scrub), whatever its offset."""
    from mockserver.tools.upstream import excerpt, scrub

    token = "tok-" + "x" * 40
    body = ("a" * offset + token + " tail").encode()
    shown = excerpt(body, 60, lambda text: scrub(text, token))
    assert len(shown) == min(60, len(body) - len(token) + len("$MOCKSERVER_API_TOKEN"))
    assert "tok-" not in shown and "xxxx" not in shown


def test_scrub_replaces_escaped_forms_of_the_token() -> None:
    """Check that a token reflected JSON-escaped or repr()-escaped is scrubbed too."""
    import json

    from mockserver.tools.upstream import scrub

    token = 'we"ird\\tok\u00e9n'
    for text in (token, json.dumps(token), json.dumps(token, ensure_ascii=False), repr(token)):
        assert "we" not in scrub(text, token).replace("$MOCKSERVER_API_TOKEN", "")
