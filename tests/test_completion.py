"""``mockserver completion``: scripts generated from the CLI's own parser (shtab)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest

from mockserver.cli import build_parser, main


def _script(shell: str) -> str:
    out = io.StringIO()
    assert main(["completion", shell], out) == 0
    return out.getvalue()


def _bash_complete(script: Path, *words: str) -> list[str]:
    """What bash offers after ``words`` (the last one being completed), with the script sourced."""
    quoted = " ".join(f"'{w}'" for w in words)
    program = (
        f"source {script}; COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; "
        'COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}; _shtab_mockserver; '
        'printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    return done.stdout.split()


@pytest.mark.process
def test_bash_completes_commands_flags_and_choices(tmp_path: Path) -> None:
    """Check that the bash script, sourced in bash, completes a command, a flag of it, a choice,
    and the new config and completion commands."""
    script = tmp_path / "mockserver.bash"
    script.write_text(_script("bash"))
    assert _bash_complete(script, "mockserver", "se") == ["serve"]
    assert _bash_complete(script, "mockserver", "con") == ["config", "contract"]
    assert "--port" in _bash_complete(script, "mockserver", "serve", "--po")
    assert _bash_complete(script, "mockserver", "serve", "--log-format", "") == ["text", "json"]
    assert _bash_complete(script, "mockserver", "completion", "") == ["bash", "zsh", "fish"]


@pytest.mark.process
@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts_name_every_command_and_flag(shell: str) -> None:
    """Check that the zsh and fish scripts hold every subcommand and every long flag of serve
    (the scripts come from the parser itself, so a new flag appears without editing them)."""
    text = _script(shell)
    parser = build_parser()
    for name in parser.commands():
        assert name in text
    serve = parser.commands()["serve"]
    for flag in (o for a in serve._actions for o in a.option_strings if o.startswith("--")):
        assert flag.removeprefix("--") in text, flag
    runner = shutil.which(shell)
    if runner is not None:  # syntax-check where the shell is installed
        subprocess.run([runner, "-n"], input=text, text=True, check=True)
    if shell == "fish" and runner is not None:  # and ask fish itself what it offers
        query = f"source {_as_file(text)}; complete -C 'mockserver serve --po'"
        offered = subprocess.run([runner, "-c", query], capture_output=True, text=True, check=True).stdout
        assert offered.startswith("--port\t")


def _as_file(text: str) -> str:
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".fish", delete=False) as handle:
        handle.write(text)
    return handle.name


def test_an_unknown_shell_is_a_usage_error() -> None:
    """Check that a shell shtab cannot write for is refused in one line naming the choices."""
    err = io.StringIO()
    assert main(["completion", "powershel"], io.StringIO(), err) == 2
    assert "(choose from 'bash', 'zsh', 'fish')" in err.getvalue()
