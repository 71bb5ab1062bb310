"""The pytest plugin, run as a user would run it: inner pytest sessions through ``pytester``."""

from __future__ import annotations

import json

import pytest

from .doc_examples import ROOT, client_example

pytest_plugins = ["pytester"]

INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""

# A small client of the kind the plugin is for: sync, urllib only, with a timeout.
CLIENT = """
import json
import urllib.error
import urllib.parse
import urllib.request


class Client:
    def __init__(self, base_url, token, timeout=5.0):
        self.base_url, self.token, self.timeout = base_url, token, timeout

    def sessions(self, **filters):
        url = self.base_url + "/api/train_sessions"
        if filters:
            url += "?" + urllib.parse.urlencode(filters)
        request = urllib.request.Request(
            url, headers={"Authorization": f'Token token="{self.token}"',
                          "Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            return json.load(response)
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI)
    pytester.makepyfile(client=CLIENT)
    return pytester


def test_example_client_test_passes(project: pytest.Pytester) -> None:
    """Check that the README's kind of client test runs green against the fixture."""
    project.makepyfile(
        test_client="""
        from client import Client

        def test_filters_by_name(train_sessions_api):
            train_sessions_api.clear()
            ada = train_sessions_api.add(full_name="Ada Lovelace", score=95)
            train_sessions_api.add(full_name="Alan Turing")
            client = Client(train_sessions_api.url, train_sessions_api.token)

            sessions = client.sessions(full_name_cont="lovelace")

            assert [s["id"] for s in sessions] == [ada["id"]]
            assert sessions[0]["score"] == 95
            assert "course_name" not in sessions[0]  # hidden attributes are not rendered
            [sent] = train_sessions_api.requests
            assert (sent.method, sent.path, sent.params) == (
                "GET", "/api/train_sessions", {"full_name_cont": "lovelace"})
            assert sent.headers["Authorization"] == "Token [REDACTED]"
            assert sent.status == 200
    """
    )
    project.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_each_test_starts_from_the_packaged_data(project: pytest.Pytester) -> None:
    """Check that the function fixture resets data, journal and faults between tests."""
    project.makepyfile(
        test_reset="""
        from client import Client

        def test_a(train_sessions_api):
            train_sessions_api.clear()
            train_sessions_api.fail_next(500, times=None)

        def test_b(train_sessions_api, train_sessions_api_session):
            assert train_sessions_api is train_sessions_api_session
            assert train_sessions_api.requests == []
            sessions = Client(train_sessions_api.url, train_sessions_api.token).sessions()
            assert len(sessions) == len(train_sessions_api.records) > 100
    """
    )
    project.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_module_scope_has_its_own_server(project: pytest.Pytester) -> None:
    """Check that module-scoped data survives the function fixture's resets."""
    project.makepyfile(
        test_module="""
        import pytest

        @pytest.fixture(scope="module", autouse=True)
        def one_record(train_sessions_api_module):
            train_sessions_api_module.clear()
            train_sessions_api_module.add(id=42)

        def test_function_fixture_resets_only_itself(train_sessions_api, train_sessions_api_module):
            assert train_sessions_api.url != train_sessions_api_module.url
            train_sessions_api.clear()

        def test_module_data_kept(train_sessions_api_module):
            assert [r["id"] for r in train_sessions_api_module.records] == [42]
    """
    )
    project.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_invalid_record_names_the_field(project: pytest.Pytester) -> None:
    """Check that add() with a bad value or a typo fails with the field and what was expected."""
    project.makepyfile(
        test_invalid="""
        def test_bad_score(train_sessions_api):
            train_sessions_api.add(score="high")

        def test_typo(train_sessions_api):
            train_sessions_api.add(scor=80)
    """
    )
    result = project.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*InvalidRecordError: train_sessions_api.add(score='high'): invalid record:",
            "*field 'score': expected an integer*got \"high\"",
            "*field 'scor': unknown key (did you mean 'score'?*",
        ]
    )


def test_load_reports_a_broken_file(project: pytest.Pytester) -> None:
    """Check that load() of a broken fixture file raises FixtureError naming file and field."""
    project.path.joinpath("bad.json").write_text(json.dumps([{"id": "x"}]), encoding="utf-8")
    project.makepyfile(
        test_load="""
        def test_load(train_sessions_api):
            train_sessions_api.load("bad.json")
    """
    )
    result = project.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*FixtureError: invalid fixture file bad.json*", "*bad.json: record 0*field 'id'*"]
    )


def test_fail_next_and_delay(project: pytest.Pytester) -> None:
    """Check that a client can be tested against injected errors and a slow API."""
    project.makepyfile(
        test_faults="""
        import socket
        import urllib.error

        import pytest
        from client import Client

        def test_retry_sees_error_then_data(train_sessions_api):
            client = Client(train_sessions_api.url, train_sessions_api.token)
            train_sessions_api.fail_next(status=503, times=2)
            for _ in range(2):
                with pytest.raises(urllib.error.HTTPError) as error:
                    client.sessions()
                assert error.value.code == 503
                assert error.value.read() == b'{"status":503,"error":"Service Unavailable"}'
            assert client.sessions()
            assert [r.status for r in train_sessions_api.requests] == [503, 503, 200]

        def test_timeout(train_sessions_api):
            client = Client(train_sessions_api.url, train_sessions_api.token, timeout=0.2)
            train_sessions_api.delay(1000, times=1)
            with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
                client.sessions()

        def test_path_pattern(train_sessions_api):
            train_sessions_api.fail_next(status=404, times=None, path="/api/train_sessions/*")
            client = Client(train_sessions_api.url, train_sessions_api.token)
            assert client.sessions()  # the index is not affected

        def test_invalid_fault(train_sessions_api):
            with pytest.raises(ValueError, match="standard HTTP error status"):
                train_sessions_api.fail_next(status=200)
    """
    )
    project.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=4)


def test_async_client(project: pytest.Pytester) -> None:
    """Check that an async client on the test's own event loop can use the fixture."""
    project.makepyfile(
        test_async="""
        import aiohttp

        async def test_async_client(train_sessions_api):
            record = train_sessions_api.add(full_name="Grace Hopper")
            async with aiohttp.ClientSession(headers=train_sessions_api.headers) as session:
                url = train_sessions_api.url_for(f"/api/train_sessions/{record['id']}")
                async with session.get(url) as response:
                    assert response.status == 200
                    assert (await response.json())["full_name"] == "Grace Hopper"
                async with session.get(url, headers={"Authorization": "Token token=wrong"}) as r:
                    assert r.status == 401
    """
    )
    project.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_factory_with_accounts(project: pytest.Pytester) -> None:
    """Check that the factory starts a server with per-account tokens and given records."""
    project.makepyfile(
        test_factory="""
        import json
        import urllib.request

        from mockserver.generate import generate_records

        def get(api, path, token):
            request = urllib.request.Request(
                api.url + path, headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(request) as response:
                return json.load(response)

        def test_accounts(train_sessions_api_factory):
            records = generate_records(5, 40, accounts=("acme", "globex"))
            api = train_sessions_api_factory(
                records=records, tokens={"acme-token": "acme", "globex-token": "globex"})
            assert api.token == "acme-token"
            acme = get(api, "/api/train_sessions", "acme-token")
            expected = [r["id"] for r in records if r.get("account") == "acme"]
            assert sorted(s["id"] for s in acme) == sorted(expected)
    """
    )
    project.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_mock_bug_is_reraised_in_the_test(project: pytest.Pytester) -> None:
    """Check that an unexpected error inside the mock surfaces as an error of that test."""
    project.makepyfile(
        test_bug="""
        import urllib.error
        import urllib.request

        import mockserver.server.views

        def test_triggers_bug(train_sessions_api, monkeypatch):
            def broken(*args):
                raise RuntimeError("boom")
            monkeypatch.setattr(mockserver.server.views, "compile_search", broken)
            request = urllib.request.Request(train_sessions_api.url_for(),
                                             headers=train_sessions_api.headers)
            try:
                urllib.request.urlopen(request)
            except urllib.error.HTTPError as error:
                assert error.code == 500

        def test_next_is_clean(train_sessions_api):
            pass
    """
    )
    result = project.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*MockServerBugError: the mock failed 1 time(s)*", "*RuntimeError: boom*"])


@pytest.mark.process
def test_off_until_used(pytester: pytest.Pytester) -> None:
    """Check that a session not using the fixtures neither starts a server nor imports aiohttp."""
    pytester.makeini(INI)
    pytester.makepyfile(
        test_plain="""
        import sys
        import threading

        def test_nothing_started(request):
            assert request.config.pluginmanager.has_plugin("mockserver")
            assert "mockserver.server.app" not in sys.modules
            assert not any(t.name.startswith("train-sessions-api") for t in threading.enumerate())
    """
    )
    pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:asyncio", "-p", "no:aiohttp"
    ).assert_outcomes(passed=1)


def test_readme_example_runs(pytester: pytest.Pytester) -> None:
    """Check that the README's client test passes exactly as printed there."""
    pytester.makeini(INI)
    for name, text in client_example().items():
        pytester.path.joinpath(name).write_text(text, encoding="utf-8")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_factory_fills_partial_records_and_names_the_call(project: pytest.Pytester) -> None:
    """Check that factory(records=[...]) fills missing fields as .add() does, serves [] as an
    empty account, and names the user's call (not an internal function or 'fixture file')."""
    project.makepyfile(
        test_records="""
        import pytest
        from client import Client
        from mockserver.pytest_plugin import InvalidRecordError

        def test_partial(train_sessions_api_factory):
            api = train_sessions_api_factory(records=[{"full_name": "Ada Lovelace"}, {"score": 7}])
            found = Client(api.url, api.token).sessions()
            assert sorted(r["full_name"] == "Ada Lovelace" for r in found) == [False, True]
            assert all(r["course_code"] and r["id"] for r in found)

        def test_empty(train_sessions_api_factory):
            api = train_sessions_api_factory(records=[])
            assert Client(api.url, api.token).sessions() == []

        def test_bad(train_sessions_api_factory):
            with pytest.raises(InvalidRecordError) as caught:
                train_sessions_api_factory(records=[{"score": "high"}])
            message = str(caught.value)
            assert message.startswith("train_sessions_api_factory(records=...)")
            assert "score" in message and "fixture file" not in message

        def test_bad_stack(train_sessions_api_factory):
            with pytest.raises(ValueError, match=r"train_sessions_api_factory\\(stack='bogus'\\).*rails6.1"):
                train_sessions_api_factory(stack="bogus")
        """
    )
    project.runpytest_inprocess("-p", "no:randomly").assert_outcomes(passed=4)


@pytest.mark.process
def test_a_bad_stack_option_is_one_error_at_session_start(pytester: pytest.Pytester) -> None:
    """Check that --mockserver-stack bogus stops the session once, before any test runs (it used
    to be a KeyError in every test that asked for a mock)."""
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_x="def test_a(train_sessions_api):\n    pass\n\ndef test_b():\n    pass\n")
    result = pytester.runpytest_subprocess("--mockserver-stack", "bogus")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    text = "\n".join(result.errlines)
    assert text.count("--mockserver-stack/mockserver_stack: unknown stack 'bogus'") == 1
    assert "KeyError" not in text and "passed" not in "\n".join(result.outlines)


def test_fakers_plugin_can_be_left_out(project: pytest.Pytester) -> None:
    """Check the documented way to keep Faker's own pytest plugin (which installing Faker, a
    dependency, registers) out of a client's session: -p no:faker, with the mock still working."""
    project.makepyfile(
        test_client="""
        def test_no_faker(request, train_sessions_api):
            assert not request.config.pluginmanager.has_plugin("faker")
            train_sessions_api.add(full_name="Ada")  # filling fields uses Faker itself, not its plugin
        """
    )
    result = project.runpytest_inprocess("-p", "no:faker")
    result.assert_outcomes(passed=1)
    plain = project.runpytest_inprocess("--fixtures")
    assert "faker" in plain.stdout.str()  # what the docs warn about: the fixture is there otherwise


def test_the_plugin_page_shows_the_readme_example() -> None:
    """Check that docs/pytest-plugin.md shows the very files the README's tested example runs."""
    import re

    page = ROOT.joinpath("docs", "pytest-plugin.md").read_text(encoding="utf-8")
    blocks = list(client_example().values())
    shown = re.findall(r"```python\n(.*?)```", page, re.S)
    assert any(shown[i : i + 2] == blocks for i in range(len(shown)))


def test_the_plugin_server_takes_targets_as_long_as_puma_does() -> None:
    """Check that the plugin's server, like serve, serves a 10,240-byte query (aiohttp alone
    refuses request lines over 8,190 bytes) and answers Puma's bare 400 one byte past it."""
    import socket
    import urllib.parse

    from mockserver.pytest_plugin import start_train_sessions_api

    api = start_train_sessions_api(auth=False)
    try:
        port = urllib.parse.urlsplit(api.url).port
        assert port is not None

        def raw(query: str) -> bytes:
            head = f"GET /api/train_sessions?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            request = head + "Connection: close\r\n\r\n"
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(request.encode())
                chunks = []
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
            return b"".join(chunks)

        query = "full_name_cont=" + "q" * (10 * 1024 - len("full_name_cont="))
        assert raw(query).startswith(b"HTTP/1.1 200 OK\r\n")
        assert raw(query + "q") == b"HTTP/1.1 400 Bad Request\r\n\r\n"
    finally:
        api.stop()
