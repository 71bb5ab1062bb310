"""Differential fuzzing of the Python ports against real Ruby (see oracle.py). Not run by CI.

    .venv/bin/python tools/ruby_oracle/fuzz.py get route token strip to_i blank inspect \\
        cast_id normalize to_date [--seed N] [--count N]
    .venv/bin/python tools/ruby_oracle/fuzz.py codepoints   # every code point, ~3 minutes
    .venv/bin/python tools/ruby_oracle/fuzz.py date-unicode # one odd character in a date

Inputs come from small grammars of the characters that matter (``& ; = [ ] % + space tab NUL
é NBSP %FF %C3 %2F . digits letters _`` for queries and paths, header pieces for tokens, date
tokens for to_date) plus plain random text. Every disagreement is printed as
``input  Ruby: answer  Python: answer``; the exit status is 1 if there was any.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from oracle import diff

QUERY_ATOMS = [
    b"&",
    b";",
    b"=",
    b"[",
    b"]",
    b"[]",
    b"%",
    b"+",
    b" ",
    b"\t",
    b"\x00",
    b"%00",
    "é".encode(),
    "\xa0".encode(),
    b"%FF",
    b"%C3",
    b"%C3%A9",
    b"%2F",
    b"%5B",
    b"%5D",
    b"%26",
    b"%3D",
    b".",
    b"1",
    b"0",
    b"a",
    b"b",
    b"_",
    b"%0A",
    b"\n",
    b"%2",
    b"%zz",
    b"%e9",
    b"\xff",
    b"\xc3",
    b"k",
    b"[a]",
    b"[b]",
    b"%20",
    b"x",
]
PATH_ATOMS = [
    b"/",
    b"//",
    b"3",
    b"0",
    b"-",
    b"+",
    b"1_2",
    b".",
    b".json",
    b"%2F",
    b"%2f",
    b"%2E",
    b"%FF",
    b"%C3%A9",
    b"%ZZ",
    b"%1G",
    b"%G1",
    b"%20",
    b" ",
    b"\n",
    b"abc",
    b"?",
    b"%3F",
    b"%00",
    b"99999999999",
    b"2147483647",
    b"2147483648",
    b"%",
    b"%2",
]
PATH_HEADS = [
    b"/api/train_sessions",
    b"api/train_sessions",
    b"//api//train_sessions",
    b"/api/train_sessions/",
    b"/api/train_sessionsx",
    b"",
]
TEXT_ATOMS = [
    " ",
    "\t",
    "\n",
    "\v",
    "\f",
    "\r",
    "\x00",
    "\xa0",
    "\u2003",
    "\u3000",
    "\x85",
    "\u200b",
    "\ufeff",
    "\u180e",
    "1",
    "0",
    "9",
    "-",
    "+",
    "_",
    "__",
    "d",
    "D",
    "0d",
    "0x",
    "0b",
    "a",
    "é",
    ".",
    "e",
    "\u0661",
    "\uff13",
    "#",
    "{",
    "$",
    "@",
    '"',
    "\\",
    "\x1b",
    "\x7f",
]
HEADER_ATOMS = [
    "=\n",
    "\n=",
    "a=b",
    '"\n"',
    "Token",
    "Bearer",
    "token",
    " ",
    "  ",
    "\t",
    "\n",
    ",",
    ";",
    "=",
    '"',
    "'",
    "token=",
    "secret",
    "a",
    "é",
    "\xa0",
    "\x00",
    "\r",
    "\v",
    "\f",
    "==",
]
DATE_TOKENS = [
    "2015",
    "15",
    "1",
    "01",
    "12",
    "13",
    "29",
    "30",
    "31",
    "0",
    "00",
    "20150101",
    "2015001",
    "001",
    "366",
    "1582",
    "10000",
    "Jan",
    "january",
    "Sept",
    "mon",
    "Monday",
    "fri",
    "th",
    "st",
    "bc",
    "BC",
    "ad",
    "ce",
    "am",
    "pm",
    "utc",
    "Z",
    "+09:00",
    "-1200",
    "H27",
    "R1",
    "W01",
    "-W01-1",
    "T",
    ":",
    "-",
    "/",
    ".",
    " ",
    ",",
    "'",
    "--",
    "\t",
    "12:34:56",
    "x",
]


def _grammar(rng: random.Random, atoms: list[Any], low: int, high: int) -> Any:
    return atoms[0][:0].join(rng.choice(atoms) for _ in range(rng.randint(low, high)))


def _structured_query(rng: random.Random) -> bytes:
    parts = []
    for _ in range(rng.randint(1, 5)):
        key = rng.choice([b"a", b"b", b"k", b""]) + b"".join(
            rng.choice([b"[]", b"[a]", b"[b]", b"[", b"]", b"[x][]", b"%0A", b"]["])
            for _ in range(rng.randint(0, 3))
        )
        parts.append(key + rng.choice([b"", b"=", b"=1", b"=2", b"=%FF", b"=x", b"=a=b"]))
    return rng.choice([b"&", b";", b"& ", b"&&"]).join(parts)


def _value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 2 or roll < 0.5:
        return rng.choice([None, _grammar(rng, TEXT_ATOMS, 0, 8)])
    if roll < 0.75:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {_grammar(rng, TEXT_ATOMS, 0, 4): _value(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def inputs(op: str, rng: random.Random, count: int) -> list[Any]:
    """Unique inputs for ``op``: grammar-built and plain random."""

    def one() -> Any:
        if op == "get":
            return _structured_query(rng) if rng.random() < 0.5 else _grammar(rng, QUERY_ATOMS, 1, 14)
        if op in ("route", "normalize"):
            return rng.choice(PATH_HEADS) + _grammar(rng, PATH_ATOMS, 0, 4)
        if op == "token":
            return _grammar(rng, HEADER_ATOMS, 0, 9)
        if op == "inspect":
            return _value(rng)
        if op == "to_date":
            return _grammar(rng, DATE_TOKENS, 1, 7)
        return _grammar(rng, TEXT_ATOMS, 0, 8)

    seen: dict[str, Any] = {}
    for _ in range(count):
        value = one()
        seen[repr(value)] = value
    return list(seen.values())


def report(op: str, args: list[Any]) -> int:
    found = diff(op, args)
    print(f"{op}: {len(args)} inputs, {len(found)} differ")
    for arg, ruby_answer, python_answer in found[:50]:
        print(f"  {arg!r}  Ruby: {ruby_answer}  Python: {python_answer}")
    return len(found)


def codepoints() -> int:
    """blank?, strip, inspect and to_i around every non-surrogate code point."""
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    return (
        report("blank", chars)
        + report("blank", [f" {c}\u3000" for c in chars])
        + report("strip", [f"{c}a{c}" for c in chars])
        + report("inspect", [f"{c}#{c}{{" for c in chars])
        + report("to_i", [f"{c}12" for c in chars])
    )


def date_unicode(rng: random.Random, count: int) -> int:
    """One non-ASCII character put into (or over) a date Ruby understands."""
    bases = [
        "2015-01-05",
        "Jan 5 2015",
        "5 sept 2015",
        "mon 5 jan 2015",
        "H27.01.05",
        "5th jan",
        "2015 jan 5 bc",
        "fri",
    ]
    args = []
    for _ in range(count):
        text = rng.choice(bases)
        at = rng.randint(0, len(text))
        code = rng.choice(
            [rng.randint(0x80, 0x2FFF), rng.randint(0x3000, 0xFFFF), rng.randint(0x10000, 0x1FFFF)]
        )
        if not 0xD800 <= code <= 0xDFFF:
            args.append(text[:at] + chr(code) + text[at + (rng.random() < 0.3) :])
    return report("to_date", list(dict.fromkeys(args)))


def main(argv: list[str]) -> int:
    seed = int(argv[argv.index("--seed") + 1]) if "--seed" in argv else 1
    count = int(argv[argv.index("--count") + 1]) if "--count" in argv else 3000
    rng = random.Random(seed)
    ops = [
        a
        for i, a in enumerate(argv)
        if not a.startswith("--") and (i == 0 or argv[i - 1] not in ("--seed", "--count"))
    ]
    problems = 0
    for op in ops:
        if op == "codepoints":
            problems += codepoints()
        elif op == "date-unicode":
            problems += date_unicode(rng, count)
        else:
            problems += report(op, inputs(op, rng, count))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
