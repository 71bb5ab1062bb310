"""Choosing the served API revision: ``--api-revision``, ``MOCKSERVER_API_REVISION``, the table."""

from __future__ import annotations

import io

import pytest

from mockserver.cli import main
from mockserver.errors import UsageError
from mockserver.revisions import DEFAULT_REVISION, REVISIONS, Feature, revision_named, revisions_markdown
from mockserver.settings import Settings, build_settings

pytest_plugins = ["pytester"]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_default_is_the_live_revision() -> None:
    """Check that nothing chosen serves 2015-08, which has XML, unassign and the player."""
    assert Settings().api_revision == DEFAULT_REVISION.name == "2015-08"
    assert build_settings({}, environ={}).revision is DEFAULT_REVISION
    assert all(DEFAULT_REVISION.has(f) for f in Feature)
    assert not any(revision_named("2015-02").has(f) for f in Feature)


def test_environment_then_flag() -> None:
    """Check that MOCKSERVER_API_REVISION chooses the revision and a flag overrides it."""
    env = {"MOCKSERVER_API_REVISION": " 2015-02 "}
    assert build_settings({}, environ=env).api_revision == "2015-02"
    assert build_settings({"api_revision": "2015-08"}, environ=env).api_revision == "2015-08"


def test_unknown_names_list_the_valid_ones() -> None:
    """Check that a bad revision, from the environment or a flag, names itself and the valid ones."""
    with pytest.raises(UsageError) as info:
        build_settings({}, environ={"MOCKSERVER_API_REVISION": "2016-01"})
    assert "MOCKSERVER_API_REVISION='2016-01'" in str(info.value)
    assert all(r.name in str(info.value) for r in REVISIONS)
    with pytest.raises(UsageError, match="--api-revision 'x'"):
        build_settings({"api_revision": "x"}, environ={})


def test_serve_unknown_revision_is_one_error_line() -> None:
    """Check that serve --api-revision with an unknown name exits 2 with one line."""
    code, out, err = run("serve", "--port", "0", "--api-revision", "2014-01")
    assert code == 2 and "listening" not in out
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("mockserver: error: --api-revision '2014-01'")


def test_serve_revision_list_prints_every_revision() -> None:
    """Check that serve --api-revision list prints one line per revision, the default first, exit 0."""
    code, out, err = run("serve", "--api-revision", "list")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == [r.name for r in REVISIONS]
    assert "xml" in lines[0] and "unassign" in lines[0] and "json only" in lines[1]


def test_banner_names_a_non_default_revision() -> None:
    """Check that the banner says when the older revision is served (and is silent by default)."""
    from mockserver.cli import _banner
    from mockserver.server.store import Store

    out = io.StringIO()
    _banner(Settings(api_revision="2015-02"), 3000, Store([]), out)
    assert "2015-02 revision" in out.getvalue()
    out = io.StringIO()
    _banner(Settings(), 3000, Store([]), out)
    assert "revision" not in out.getvalue()


def test_markdown_table_has_a_row_per_feature() -> None:
    """Check that the docs' table marks each feature for exactly the revisions that have it."""
    rows = revisions_markdown().splitlines()[3:]
    assert len(rows) == len(Feature)
    for row, feature in zip(rows, Feature, strict=True):
        cells = [c.strip() for c in row.strip("|").split("|")][1:]
        assert cells == ["yes" if r.has(feature) else "·" for r in REVISIONS]


PLUGIN_TEST = """
import urllib.request

def _type(api, path):
    request = urllib.request.Request(api.url_for(path), headers=api.headers)
    return urllib.request.urlopen(request, timeout=5).headers["Content-Type"].split(";")[0]

def test_revisions(train_sessions_api, train_sessions_api_factory):
    print("DEFAULT", _type(train_sessions_api, "/api/train_sessions/3.xml"))
    old = train_sessions_api_factory(api_revision="2015-02")
    print("OLD", _type(old, "/api/train_sessions/3.xml"))
"""


@pytest.mark.parametrize(
    ("args", "ini", "default_type"),
    [
        ((), "", "application/xml"),
        (("--mockserver-api-revision", "2015-02"), "", "application/json"),
        ((), "mockserver_api_revision = 2015-02", "application/json"),
        (("--mockserver-api-revision", "2015-08"), "mockserver_api_revision = 2015-02", "application/xml"),
    ],
)
def test_plugin_option_and_factory_choose_the_revision(
    pytester: pytest.Pytester, args: tuple[str, ...], ini: str, default_type: str
) -> None:
    """Check that the plugin's option (CLI over ini) sets the revision; factory(api_revision=) wins."""
    pytester.makeini(f"[pytest]\nasyncio_default_fixture_loop_scope = function\n{ini}\n")
    pytester.makepyfile(test_plugin_revision=PLUGIN_TEST)
    result = pytester.runpytest_inprocess("-s", *args)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*DEFAULT {default_type}", "OLD application/json"])


def test_plugin_unknown_revision_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """Check that an unknown --mockserver-api-revision names the valid revisions."""
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_x="def test_x(train_sessions_api):\n    pass\n")
    result = pytester.runpytest_inprocess("--mockserver-api-revision", "2016-01")
    assert result.ret == pytest.ExitCode.USAGE_ERROR  # once, at session start
    result.stderr.fnmatch_lines(["*unknown API revision '2016-01'; one of: 2015-08, 2015-02*"])
