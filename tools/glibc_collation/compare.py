"""Count the pairs on which the mock's collation key and glibc's strcoll disagree.

Draws random string pairs from five alphabets, and pairs of a text and an edit of it that mostly
tie at the first level (``runs``: runs of backward characters, often a leading combining mark),
with a fixed seed, so runs are comparable, and compares ``collation_key(a) < collation_key(b)``
with PostgreSQL's rule for a deterministic collation: ``strcoll`` under en_US.UTF-8, ties broken
by the UTF-8 bytes. Run it on the glibc the reference PostgreSQL uses (Debian 12: glibc 2.36),
from the repository root:

    .venv/bin/python tools/glibc_collation/compare.py

It prints one line per category and exits 1 if any pair disagrees.
"""

from __future__ import annotations

import itertools
import locale
import random
import sys
from collections.abc import Callable, Iterator

from mockserver.engine.postgres import collation_key

_ASCII = [chr(c) for c in range(0x20, 0x7F)]
_LATIN = _ASCII + [chr(c) for c in range(0xA0, 0x180)]
_MIXED = (
    _ASCII
    + list("àáâäçèéêëîïôöùûüÿœæßØøÅåÑñ")
    + [chr(c) for c in range(0x391, 0x3CA)]  # Greek
    + [chr(c) for c in range(0x410, 0x450)]  # Cyrillic
    + [chr(c) for c in range(0x5D0, 0x5EB)]  # Hebrew
    + [chr(c) for c in range(0x627, 0x64B)]  # Arabic
    + [chr(c) for c in range(0xE01, 0xE4E)]  # Thai
    + [chr(c) for c in range(0x300, 0x370)]  # combining marks
    + list("一二三中日本語漢字あいうアイウ한국어\u00a0\u2009\u00b7₀①")
)
# runs of backward characters (combining marks, digits, spaces, punctuation) beside forward ones
# and Han (no weight at levels 2 to 4), which strcoll reads differently from strxfrm at level 2
_RUNS = [*"aAeEzZ0129-. ,'$\t\u00b7\u00a0\u2009\u0327一中", *(chr(c) for c in range(0x300, 0x30C))]
_FRENCH = ["Adele", "Eloise", "Helene", "Leonie", "Cecile", "Jerome", "Francois", "Noel", "Zoe"]
_ACCENTS = {"e": "eéèêëEÉÈÊË", "o": "oôöOÔÖ", "a": "aàâäAÀÂ", "c": "cçCÇ", "i": "iîïIÎÏ"}


def _bmp(rng: random.Random) -> str:
    while True:
        code = rng.randrange(1, 0x10000)
        if not 0xD800 <= code <= 0xDFFF:
            return chr(code)


def _word(rng: random.Random, alphabet: list[str] | None) -> str:
    size = rng.randint(1, 8)
    if alphabet is None:
        return "".join(_bmp(rng) for _ in range(size))
    return "".join(rng.choice(alphabet) for _ in range(size))


def _variant(rng: random.Random, name: str) -> str:
    return "".join(rng.choice(_ACCENTS.get(ch.lower(), ch)) for ch in name)


def _edit(rng: random.Random, text: str) -> str:
    """The text with a few characters dropped, inserted or changed in case."""
    out = []
    for char in text:
        if rng.random() < 0.15:
            continue
        if rng.random() < 0.15:
            out.append(rng.choice(_RUNS))
        out.append(char.swapcase() if rng.random() < 0.2 else char)
    if rng.random() < 0.3:
        out.insert(rng.randint(0, len(out)), rng.choice(_RUNS))
    return "".join(out)


def _pairs(category: str, count: int, rng: random.Random) -> Iterator[tuple[str, str]]:
    alphabets = {"ascii": _ASCII, "latin": _LATIN, "mixed": _MIXED, "bmp": None}
    for _ in range(count):
        if category == "french":
            name = rng.choice(_FRENCH)
            yield _variant(rng, name), _variant(rng, name)
        elif category == "runs":  # two texts in five start with a combining mark
            text = _word(rng, _RUNS)
            yield text, _edit(rng, text)
        else:
            alphabet = alphabets[category]
            yield _word(rng, alphabet), _word(rng, alphabet)


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


def postgres_compare(a: str, b: str) -> int:
    """PostgreSQL's text comparison under a deterministic en_US.UTF-8 collation."""
    return _sign(locale.strcoll(a, b)) or _sign((a > b) - (a < b))


def disagreements(pairs: Iterator[tuple[str, str]], key: Callable[[str], object]) -> list[tuple[str, str]]:
    """The pairs whose order by ``key`` differs from PostgreSQL's."""
    wrong = []
    for a, b in pairs:
        ka, kb = key(a), key(b)
        mine = _sign((ka > kb) - (ka < kb))  # type: ignore[operator]
        if mine != postgres_compare(a, b):
            wrong.append((a, b))
    return wrong


CATEGORIES = (
    ("ascii", 20_000),
    ("latin", 30_000),
    ("french", 17_325),
    ("mixed", 20_000),
    ("bmp", 20_000),
    ("runs", 20_000),
)


def main() -> int:
    try:
        locale.setlocale(locale.LC_COLLATE, "en_US.UTF-8")
    except locale.Error:
        print("compare.py: the en_US.UTF-8 locale is missing (localedef -i en_US -f UTF-8 en_US.UTF-8)")
        return 2
    failed = False
    for category, count in CATEGORIES:
        wrong = disagreements(_pairs(category, count, random.Random(f"{category}-17")), collation_key)
        failed = failed or bool(wrong)
        shown = ", ".join(f"{a!r}/{b!r}" for a, b in itertools.islice(wrong, 3))
        print(f"{category:7} {len(wrong):5} of {count:6} pairs differ" + (f"  e.g. {shown}" if shown else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
