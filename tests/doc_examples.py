"""The examples README.md and docs/ show, read once for the tests that run them: the console
outputs after ``$ command`` lines, the shell commands of a section, the client-test files, and
the request a shown ``curl`` line sends."""

from __future__ import annotations

import re
import shlex
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


@cache
def readme_and_docs() -> str:
    """README.md and every page under docs/, one text."""
    pages = [README, *sorted((ROOT / "docs").rglob("*.md"))]
    return "\n".join(p.read_text(encoding="utf-8") for p in pages)


def block_after(command: str) -> str:
    """The lines README or docs/ show after ``$ command``, up to the end of its code block."""
    match = re.search(re.escape(f"$ {command}") + r"\n(.*?)\n```", readme_and_docs(), re.S)
    assert match, f"neither README nor docs/ shows `$ {command}`"
    return match.group(1)


def section(heading: str, path: Path = README) -> str:
    """The text of the section under ``## heading`` (up to the next ``## ``) of a page."""
    text = path.read_text(encoding="utf-8")
    assert f"\n## {heading}\n" in text, f"{path.name} has no section `## {heading}`"
    return text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def shell_commands(text: str) -> list[list[str]]:
    """Each command of the ``sh`` blocks in ``text`` as argv (continuations joined, comments
    dropped), in the order shown."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            argv = shlex.split(line, comments=True)
            if argv:
                commands.append(argv)
    return commands


def client_example() -> dict[str, str]:
    """The README's client test: file name -> text, for each ``python`` block of the section."""
    files = {}
    for block in re.findall(r"```python\n(.*?)```", section("A client test"), re.S):
        name = re.match(r"# (\w+\.py)", block)
        assert name, "each README example block starts with '# <file>.py'"
        files[name.group(1)] = block
    assert set(files) == {"myclient.py", "test_myclient.py"}
    return files


def console_session(text: str) -> list[tuple[str, str]]:
    """The ``$ command`` lines of the ``console`` blocks in ``text``, each with the output
    shown under it (up to the next ``$`` line or the end of the block)."""
    steps = []
    for block in re.findall(r"```console\n(.*?)```", text, re.S):
        block = block.replace("\\\n", " ")  # a command continued on the next lines
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, output = chunk.partition("\n")
            steps.append((command, output.rstrip("\n")))
    return steps


@dataclass(frozen=True)
class Answer:
    """What a shown ``curl`` line got back."""

    status: int
    reason: str
    headers: Message
    body: bytes


def curl(argv: list[str], base: str, port: int = 3000) -> Answer:
    """Send the request a shown ``curl`` line sends (``-s``, ``-i``, ``-X``, ``-H`` and ``-d``
    understood) to ``base`` instead of the docs' ``port``; with urllib, so that the tests
    need no curl."""
    assert argv[0] == "curl", argv
    method, headers, data, url = None, {}, None, None
    args = iter(argv[1:])
    for arg in args:
        if arg == "-X":
            method = next(args)
        elif arg == "-H":
            name, value = next(args).split(":", 1)
            headers[name] = value.strip()
        elif arg == "-d":
            data = next(args).encode()
        elif arg.startswith("-"):
            assert arg in ("-s", "-i", "-si"), f"curl option {arg} is not understood here"
        else:
            assert url is None, argv
            url = re.sub(rf"\A(?:http://)?(?:127\.0\.0\.1|localhost):{port}", base, arg)
    assert url, argv
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return Answer(answer.status, answer.reason, answer.headers, answer.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.reason, error.headers, error.read())
