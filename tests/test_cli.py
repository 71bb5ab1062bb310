"""The CLI through main(argv): exit codes and one-line messages, no subprocess needed."""

from __future__ import annotations

import io
import socket
from pathlib import Path

import pytest

from mockserver.cli import main


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_generate_is_byte_identical_for_a_seed(tmp_path: Path) -> None:
    """Check that the same seed and count write the same bytes, another seed other bytes."""
    a, b, c = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"
    assert run("generate", "--seed", "5", "--count", "30", "--out", str(a))[0] == 0
    assert run("generate", "--seed", "5", "--count", "30", "--out", str(b))[0] == 0
    assert run("generate", "--seed", "6", "--count", "30", "--out", str(c))[0] == 0
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()


@pytest.mark.parametrize(
    "argv",
    [
        ("serve", "--bogus"),
        ("serve", "--port", "abc"),
        ("serve", "--port", "70000"),
        ("serve", "--token", "=acct"),
        ("generate",),
        ("nonsense",),
        ("serve", "--fixtures", "x.json", "--count", "5"),
        ("serve", "--port", "0", "--public-dir", "/nonexistent/public"),
    ],
)
def test_usage_errors_exit_2_with_one_line(argv: tuple[str, ...]) -> None:
    """Check that bad flags exit 2 with a single 'mockserver: error:' line and no traceback."""
    code, _, err = run(*argv)
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1].startswith("mockserver: error:")
    assert "Traceback" not in err


def test_broken_fixture_names_file_record_and_field(tmp_path: Path) -> None:
    """Check that serve refuses a broken fixture file with a precise message, exit 2."""
    broken = tmp_path / "broken.json"
    broken.write_text('[{"id": 1, "scroe": 5}]', encoding="utf-8")
    code, out, err = run("serve", "--port", "0", "--fixtures", str(broken))
    assert code == 2
    assert "listening" not in out
    assert str(broken) in err and "record 0" in err and "'scroe'" in err


def test_taken_port_is_one_clear_message() -> None:
    """Check that a port in use gives exit 2 and says so, before any data is loaded."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        code, out, err = run("serve", "--port", str(port))
    assert code == 2
    assert "address already in use" in err and "listening" not in out


def test_help_lists_subcommands() -> None:
    """Check that --help names serve and generate and exits 0."""
    with pytest.raises(SystemExit) as exit_info:
        run("--help")
    assert exit_info.value.code == 0


def test_banner_prints_a_ready_to_paste_curl_for_the_dev_token() -> None:
    """Check the start-up banner's curl line carries the dev token, but never a real one."""
    from mockserver.cli import _banner
    from mockserver.server.store import Store
    from mockserver.settings import Settings

    out = io.StringIO()
    _banner(Settings(tokens={"dev-token": None}), 3000, Store([]), out)
    assert 'Token token="dev-token"' in out.getvalue()
    out = io.StringIO()
    _banner(Settings(tokens={"s3cret": "acme"}), 3000, Store([]), out)
    assert "s3cret" not in out.getvalue() and "$MOCKSERVER_API_TOKEN" in out.getvalue()


def _pasted(line: str, env: dict[str, str]) -> list[str]:
    """The arguments curl would get from the banner's line, pasted into sh (curl replaced by printf)."""
    import subprocess

    command = line.strip().replace("curl -s", "printf '%s\\n'", 1)
    done = subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


@pytest.mark.process
@pytest.mark.parametrize(
    ("environ", "flags", "header"),
    [
        ({}, {}, 'Authorization: Token token="dev-token"'),
        ({"MOCKSERVER_TOKENS": "first=acme,second"}, {}, 'Authorization: Token token="first"'),
        ({"MOCKSERVER_TOKENS": "only"}, {}, 'Authorization: Token token="only"'),
        ({}, {"tokens": {"flag-secret": None}}, 'Authorization: Token token="from-api-var"'),
    ],
)
def test_the_banner_curl_line_works_as_pasted(
    environ: dict[str, str], flags: dict[str, object], header: str
) -> None:
    """Check that the start-up curl line, pasted into a shell, sends a token the mock accepts
    (from where the user gave it; never printed) to an address that answers: a wildcard bind, as
    in the container, is asked on 127.0.0.1."""
    from mockserver.cli import _banner
    from mockserver.server.store import Store
    from mockserver.settings import build_settings

    settings = build_settings({"host": "0.0.0.0", **flags}, environ)
    out = io.StringIO()
    _banner(settings, 3000, Store([]), out)
    [line] = [each for each in out.getvalue().splitlines() if each.strip().startswith("curl ")]
    assert "first" not in line and "flag-secret" not in line and "only" not in line
    shell_env = {**environ, "MOCKSERVER_API_TOKEN": "from-api-var", "PATH": "/usr/bin:/bin"}
    assert _pasted(line, shell_env) == [
        "-H",
        header,
        "http://127.0.0.1:3000/api/train_sessions?full_name_cont=a",
    ]


def test_an_unknown_flag_names_the_subcommand_and_the_closest_flag() -> None:
    """Check that a mistyped flag points at the subcommand's help and suggests the closest flag,
    and that abbreviations are refused (documented: --fixture is not --fixtures)."""
    code, _, err = run("serve", "--prot", "3001")
    assert code == 2 and err == (
        "mockserver: error: unrecognized arguments: --prot 3001; did you mean --port? "
        "(see 'mockserver serve --help')\n"
    )
    code, _, err = run("serve", "--fixture", "x.json")
    assert code == 2 and "did you mean --fixtures?" in err
    code, _, err = run("record", "--concurency", "2", "--out", "x.json")
    assert code == 2 and "did you mean --concurrency?" in err and "'mockserver record --help'" in err


def test_long_generation_reports_progress_on_stderr(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Check that generate says what it is doing before long work (on stderr, as record, diff
    and validate do) and stays quiet for small files; the threshold is lowered for the test."""
    monkeypatch.setattr("mockserver.cli.PROGRESS_COUNT", 10)
    code, out, err = run("generate", "--count", "12", "--out", str(tmp_path / "a.json"))
    assert code == 0 and out == ""
    lines = err.splitlines()
    assert lines[0] == "mockserver: generating 12 records (seed 2015)..."
    assert lines[1].startswith("mockserver: generated in ") and lines[-1].startswith(
        "mockserver: wrote 12 records"
    )
    code, _, err = run("generate", "--count", "9", "--out", str(tmp_path / "b.json"))
    assert err.splitlines() == [f"mockserver: wrote 9 records to {tmp_path / 'b.json'}"]


def test_every_help_lists_the_environment_variables_its_command_reads() -> None:
    """Check that each command's --help names every variable it reads (settings' table), and
    that the table covers every variable settings.py reads: a variable added there without
    its help fails here."""
    import re

    import mockserver.settings as settings_module
    from mockserver.cli import build_parser
    from mockserver.settings import COMMAND_ENVIRONMENT

    source = Path(settings_module.__file__).read_text(encoding="utf-8")
    read = set(re.findall(r'"((?:MOCKSERVER|XDG)_[A-Z_]+|HOME)"', source))
    assert read <= {v for names in COMMAND_ENVIRONMENT.values() for v in names}
    commands = build_parser().commands()
    for name, variables in COMMAND_ENVIRONMENT.items():
        text = " ".join(commands[name].format_help().split())
        for variable in variables:
            assert variable in text, (name, variable)
    serve_help = " ".join(commands["serve"].format_help().split())
    for variable in ("MOCKSERVER_TOKENS", "MOCKSERVER_NO_AUTH", "MOCKSERVER_STRICT"):
        assert f"env {variable}" in serve_help  # beside its flag too
