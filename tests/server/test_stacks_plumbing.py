"""Choosing the served generation: ``--stack``, ``MOCKSERVER_STACK``, the plugin's option."""

from __future__ import annotations

import io

import pytest

from mockserver.cli import main
from mockserver.errors import UsageError
from mockserver.settings import Settings, build_settings
from mockserver.stacks import DEFAULT_STACK, STACKS, stack_named

pytest_plugins = ["pytester"]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_default_is_the_measured_stack() -> None:
    """Check that nothing chosen means the Rails 6.1 / Ransack 4.1 generation."""
    assert Settings().stack is DEFAULT_STACK
    assert build_settings({}, environ={}).stack.name == "rails6.1-ransack4.1"


def test_environment_then_flag() -> None:
    """Check that MOCKSERVER_STACK chooses the generation and a flag overrides it."""
    env = {"MOCKSERVER_STACK": "rails4.2-ransack1.7"}
    assert build_settings({}, environ=env).stack.name == "rails4.2-ransack1.7"
    flagged = build_settings({"stack": stack_named("rails5.2-ransack2.3")}, environ=env)
    assert flagged.stack.name == "rails5.2-ransack2.3"


def test_unknown_environment_name_lists_the_valid_ones() -> None:
    """Check that a bad MOCKSERVER_STACK names itself and every valid generation."""
    with pytest.raises(UsageError) as info:
        build_settings({}, environ={"MOCKSERVER_STACK": "rails7"})
    assert "MOCKSERVER_STACK='rails7'" in str(info.value)
    assert all(s.name in str(info.value) for s in STACKS)


def test_serve_unknown_stack_is_one_error_line() -> None:
    """Check that serve --stack with an unknown name exits 2 with one line listing the names."""
    code, out, err = run("serve", "--port", "0", "--stack", "rails7")
    assert code == 2 and "listening" not in out
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("mockserver: error: --stack 'rails7'")
    assert all(s.name in lines[0] for s in STACKS)


def test_serve_stack_list_prints_every_generation() -> None:
    """Check that serve --stack list prints one line per generation with its versions, exit 0."""
    code, out, err = run("serve", "--stack", "list")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == [s.name for s in STACKS]
    assert "Rails 4.2.11, Ransack 1.7.0" in lines[-1] and "2015" in lines[-1]


def test_banner_names_a_non_default_stack() -> None:
    """Check that the banner says which older generation is emulated (and is silent by default)."""
    from mockserver.cli import _banner
    from mockserver.server.store import Store

    out = io.StringIO()
    _banner(Settings(stack=stack_named("rails4.2-ransack1.7")), 3000, Store([]), out)
    assert "emulating rails4.2-ransack1.7" in out.getvalue()
    out = io.StringIO()
    _banner(Settings(), 3000, Store([]), out)
    assert "emulating" not in out.getvalue()


PLUGIN_TEST = """
import urllib.request

def _status(api, header):
    request = urllib.request.Request(api.url_for(), headers={"Authorization": header})
    try:
        return urllib.request.urlopen(request, timeout=5).status
    except urllib.error.HTTPError as exc:
        return exc.code

def test_stacks(train_sessions_api, train_sessions_api_factory):
    bearer = "Bearer " + train_sessions_api.token
    print("DEFAULT", _status(train_sessions_api, bearer))
    old = train_sessions_api_factory(stack="rails4.2-ransack1.7")
    print("OLD", _status(old, "Bearer " + old.token))
"""


@pytest.mark.parametrize(
    ("args", "ini", "default_status"),
    [
        ((), "", 200),
        (("--mockserver-stack", "rails4.2-ransack1.7"), "", 401),
        ((), "mockserver_stack = rails4.2-ransack1.7", 401),
        (("--mockserver-stack", "rails6.1-ransack4.1"), "mockserver_stack = rails4.2-ransack1.7", 200),
    ],
)
def test_plugin_option_and_factory_choose_the_stack(
    pytester: pytest.Pytester, args: tuple[str, ...], ini: str, default_status: int
) -> None:
    """Check that the plugin's option (CLI over ini) sets the fixtures' stack; factory(stack=) wins."""
    pytester.makeini(f"[pytest]\nasyncio_default_fixture_loop_scope = function\n{ini}\n")
    pytester.makepyfile(test_plugin_stack=PLUGIN_TEST)
    result = pytester.runpytest_inprocess("-s", *args)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*DEFAULT {default_status}", "OLD 401"])


def test_plugin_unknown_stack_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """Check that an unknown --mockserver-stack names the valid generations."""
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_x="def test_x(train_sessions_api):\n    pass\n")
    result = pytester.runpytest_inprocess("--mockserver-stack", "rails7")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown stack 'rails7'; one of: rails6.1-ransack4.1*"])
