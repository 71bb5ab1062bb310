"""The configuration file (``mockserver.config``): discovery, precedence, refusals, ``mockserver config``."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from mockserver.cli import main, parse_arguments
from mockserver.settings import build_settings

PYPROJECT = """\
[project]
name = "client"

[tool.mockserver]
port = 3001
stack = "rails6.1-ransack2.4"

[tool.mockserver.serve]
fixtures = "data/sessions.json"
no-auth = true
allow-host = ["app.test"]

[tool.mockserver.record]
upstream = "https://api.example.test"
rate = 2
out = "recorded.json"
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A client project with a [tool.mockserver] table; the tests run in a subdirectory of it."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    inner = tmp_path / "tests" / "unit"
    inner.mkdir(parents=True)
    monkeypatch.chdir(inner)
    for name in ("MOCKSERVER_PORT", "MOCKSERVER_FIXTURES", "MOCKSERVER_STACK", "MOCKSERVER_NO_AUTH"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def _serve_settings(*argv: str, environ: dict[str, str] | None = None) -> tuple[object, dict[str, str]]:
    from mockserver.config import SERVE_SETTINGS, serve_file, serve_values

    args = parse_arguments(["serve", *argv])
    flags = {dest: getattr(args, dest) for dest in SERVE_SETTINGS}
    file = {d: pair for d, pair in args.file_values.items() if d in SERVE_SETTINGS}
    settings = build_settings(serve_values(flags), environ or {}, serve_file(file))
    return settings, dict(settings.sources)


def test_the_file_is_found_upwards_and_relative_paths_are_its_own(project: Path) -> None:
    """Check that [tool.mockserver] is found from a subdirectory, shared keys and the serve table
    apply, and a relative path is relative to the file's directory (not the current one)."""
    settings, sources = _serve_settings()
    assert settings.port == 3001 and settings.auth is False  # type: ignore[attr-defined]
    assert settings.fixtures == project / "data" / "sessions.json"  # type: ignore[attr-defined]
    assert settings.stack.name == "rails6.1-ransack2.4"  # type: ignore[attr-defined]
    assert settings.allow_hosts == ("app.test",)  # type: ignore[attr-defined]
    assert sources["port"] == f"file {project / 'pyproject.toml'} [tool.mockserver]"
    assert sources["auth"] == f"file {project / 'pyproject.toml'} [tool.mockserver.serve]"


def test_precedence_is_flag_then_environment_then_file_then_default(project: Path) -> None:
    """Check flag > environment > file > default, key by key, and that a higher layer's data
    source replaces the file's as a whole (--count over the file's fixtures generates)."""
    settings, sources = _serve_settings(environ={"MOCKSERVER_PORT": "4000"})
    assert settings.port == 4000 and sources["port"] == "env MOCKSERVER_PORT"  # type: ignore[attr-defined]
    settings, sources = _serve_settings("--port", "5000", environ={"MOCKSERVER_PORT": "4000"})
    assert settings.port == 5000 and sources["port"] == "flag"  # type: ignore[attr-defined]
    assert "memo_mb" not in sources  # a default
    settings, sources = _serve_settings("--count", "5")
    assert settings.fixtures is None and settings.count == 5  # type: ignore[attr-defined]


def test_other_commands_take_the_file_as_their_defaults(project: Path) -> None:
    """Check that record's table gives --upstream, --rate and even a required --out, and that a
    flag still wins."""
    args = parse_arguments(["record"])
    assert (args.upstream, args.rate, args.out) == (
        "https://api.example.test",
        2.0,
        project / "recorded.json",
    )
    assert args.concurrency == 4  # the shared default, not in the file
    assert parse_arguments(["record", "--rate", "7"]).rate == 7.0
    assert parse_arguments(["contract", "http://x.test"]).stack == "rails6.1-ransack2.4"  # a shared key


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (
            '[tool.mockserver.serve]\ntoken = "s3cret"\n',
            ("tokens never come from the configuration", "MOCKSERVER_TOKENS"),
        ),
        ('[tool.mockserver]\napi-token = "s3cret"\n', ("tokens never come from", "MOCKSERVER_API_TOKEN")),
        (
            '[tool.mockserver.serve]\nadmin_token = "s3cret"\n',
            ("tokens never come from", "MOCKSERVER_ADMIN_TOKEN"),
        ),
        ("[tool.mockserver.serve]\nprot = 3\n", ("has no --prot; did you mean port?",)),
        ("[tool.mockserver]\nprot = 3\n", ("no command has --prot; did you mean port?",)),
        ('[tool.mockserver.serve]\nport = "3001"\n', ("port = '3001': expected an integer",)),
        ("[tool.mockserver.serve]\nstrict = 1\n", ("strict = 1: expected true or false",)),
        ('[tool.mockserver.serve]\nlog-format = "xml"\n', ("expected one of text, json",)),
        ("[tool.mockserver.srve]\nport = 3\n", ("[tool.mockserver.srve]: no such command",)),
        ("[tool.mockserver\n", ("not valid TOML",)),
    ],
)
def test_a_bad_file_is_one_line_naming_file_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, fragments: tuple[str, ...]
) -> None:
    """Check that a bad key or value stops any command in one line naming the file and the fix,
    and that a token in the file is refused without being echoed."""
    (tmp_path / "pyproject.toml").write_text(text)
    monkeypatch.chdir(tmp_path)
    code, out, err = run("config")
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert err.startswith(f"mockserver: error: {tmp_path / 'pyproject.toml'}")
    assert "s3cret" not in err
    for fragment in fragments:
        assert fragment in err


def test_mockserver_toml_and_an_explicit_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Check that mockserver.toml (top-level keys, [serve] tables) wins over pyproject.toml in
    the same directory, and --config PATH names a file explicitly."""
    (tmp_path / "pyproject.toml").write_text("[tool.mockserver]\nport = 1111\n")
    (tmp_path / "mockserver.toml").write_text("port = 2222\n[serve]\nstrict = true\n")
    (tmp_path / "ci.toml").write_text("[serve]\nport = 3333\n")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("config")
    assert code == 0 and re.search(r"port\s+2222\s+file .*mockserver.toml$", out, re.M)
    assert re.search(r"strict\s+True\s+file .*mockserver.toml \[serve\]$", out, re.M)
    code, out, _ = run("--config", "ci.toml", "config")
    assert code == 0 and re.search(r"port\s+3333\s+file ci.toml \[serve\]$", out, re.M)
    code, _, err = run("--config", "missing.toml", "config")
    assert code == 2 and "--config missing.toml: cannot read it" in err


def test_config_shows_values_and_sources_but_never_tokens(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Check that `mockserver config` prints every setting with its source, and tokens only as
    a count (they come from flags and the environment only)."""
    monkeypatch.setenv("MOCKSERVER_TOKENS", "tok-one,tok-two=acme")
    monkeypatch.setenv("MOCKSERVER_API_TOKEN", "tok-three")
    monkeypatch.setenv("MOCKSERVER_PORT", "4000")
    code, out, _ = run("config")
    assert code == 0 and "tok-" not in out
    assert re.search(r"^  tokens\s+\(2 set, not shown\)\s+env MOCKSERVER_TOKENS$", out, re.M)
    assert re.search(r"^  port\s+4000\s+env MOCKSERVER_PORT$", out, re.M)
    assert re.search(r"^  memo_mb\s+64\s+default$", out, re.M)
    code, out, _ = run("config", "record")
    assert code == 0 and "tok-" not in out
    assert re.search(r"^  api-token\s+\(1 set, not shown\)\s+env MOCKSERVER_API_TOKEN$", out, re.M)
    assert re.search(r"^  rate\s+2.0\s+file .*\[tool.mockserver.record\]$", out, re.M)
    code, _, err = run("config", "nosuch")
    assert code == 2 and "no such command" in err


def test_no_file_leaves_the_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Check that a project without a table (a pyproject.toml marks its root) changes nothing."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MOCKSERVER_PORT", raising=False)
    code, out, _ = run("config")
    assert code == 0 and out.startswith("configuration file: none found")
    assert re.search(r"^  port\s+3000\s+default$", out, re.M)


def test_the_documented_example_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Check docs/reference/configuration.md's example file: `mockserver config` in a directory
    below it shows what the page says, and the environment wins over it."""
    page = (Path(__file__).resolve().parents[1] / "docs" / "reference" / "configuration.md").read_text()
    example = page.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "pyproject.toml").write_text(example)
    (tmp_path / "tests" / "data").mkdir(parents=True)
    (tmp_path / "tests" / "data" / "sessions.json").write_text("[]")
    monkeypatch.chdir(tmp_path / "tests")
    monkeypatch.delenv("MOCKSERVER_PORT", raising=False)
    code, out, _ = run("config")
    table = f"file {tmp_path / 'pyproject.toml'} [tool.mockserver"
    assert code == 0
    assert re.search(rf"^  port\s+3001\s+{re.escape(table)}.serve\]$", out, re.M)
    assert re.search(
        rf"^  fixtures\s+{tmp_path}/tests/data/sessions.json\s+{re.escape(table)}.serve\]$", out, re.M
    )
    assert re.search(rf"^  stack\s+rails6.1-ransack2.4\s+{re.escape(table)}\]$", out, re.M)
    monkeypatch.setenv("MOCKSERVER_PORT", "4000")
    assert re.search(r"^  port\s+4000\s+env MOCKSERVER_PORT$", run("config")[1], re.M)
    args = parse_arguments(["record"])
    assert (args.upstream, args.rate, args.out) == (
        "https://learninglogin.com",
        2.0,
        tmp_path / "tests/data/sessions.json",
    )
    assert parse_arguments(["contract", "http://x.test"]).wait == 30.0


def test_a_directory_that_cannot_be_searched_is_looked_past(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Check that a working directory this user may not search (the image's uid in a mounted
    directory: stat answers EACCES) does not crash the lookup: the file above it is found."""
    (tmp_path / "mockserver.toml").write_text("port = 3123\n")
    locked = tmp_path / "locked"
    locked.mkdir()
    monkeypatch.chdir(locked)
    real_stat = Path.stat

    def stat(path: Path, *, follow_symlinks: bool = True) -> object:
        if path.parent == locked:  # as for a uid without search permission (root has it always)
            raise PermissionError(13, "Permission denied", str(path))
        return real_stat(path, follow_symlinks=follow_symlinks)

    monkeypatch.setattr(Path, "stat", stat)
    code, out, err = run("config")
    assert code == 0, err
    assert re.search(r"^  port\s+3123\s+", out, re.M)
