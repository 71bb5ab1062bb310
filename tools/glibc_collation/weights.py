"""Regenerate ``mockserver/engine/collation_table.py`` from this machine's glibc.

Asks glibc itself, through ``strxfrm`` under en_US.UTF-8, for the weights of every code point
at each of the collation's four levels, whether it sorts its second level backward (glibc's
ISO 14651 table does so for its SPECIAL section: combining marks, most symbols, characters it
does not list) and the weights of its multi-character collating elements (``L·``, Thai and Lao
pre-vowels with their consonant, ...; the candidates come from the locale source, each
confirmed by strxfrm). Run it on the glibc the reference PostgreSQL uses (Debian 12: glibc
2.36), from the repository root:

    python3 tools/glibc_collation/weights.py > mockserver/engine/collation_table.py

The table stores runs of consecutive code points whose weights step by a constant, as
zlib-compressed int32s; ``mockserver.engine.postgres`` decompresses it on first use and decodes
a code point's weights when it first meets it.
"""

from __future__ import annotations

import base64
import json
import locale
import platform
import re
import struct
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

_SOURCE = Path("/usr/share/i18n/locales/iso14651_t1_common")
_MARK, _DOLLAR = "\u0301", "$"  # two characters glibc sorts backward at level 2, distinct weights

Levels = list[list[int]]  # the weights at each of the four levels


def levels(text: str) -> Levels:
    """The four levels of one collating element, split out of its strxfrm."""
    parts = locale.strxfrm(text).split("\x01", 3)
    if len(parts) == 3:  # glibc drops the last separator when level 4 is empty
        parts.append("\x01")
    if not parts[3].startswith("\x01"):  # level 4 is 'position': a count before each weight
        raise SystemExit(f"unexpected strxfrm of {text!r}: {parts!r}")
    parts[3] = parts[3][1:]
    return [list(map(ord, part)) for part in parts]


def backward(text: str, second: list[int] | None = None) -> bool:
    """Whether glibc reverses ``text`` with its backward neighbours at level 2: its weights there
    come after those of a following ``$`` and before those of a preceding U+0301."""
    weights = "".join(map(chr, levels(text)[1] if second is None else second))
    mark, dollar = ("".join(map(chr, levels(c)[1])) for c in (_MARK, _DOLLAR))
    got = locale.strxfrm(_MARK + text + _DOLLAR).split("\x01", 3)[1]
    if got not in (dollar + weights + mark, mark + weights + dollar) or mark == dollar:
        raise SystemExit(f"cannot tell the level 2 direction of {text!r}")
    return got == dollar + weights + mark


@dataclass
class Run:
    """Consecutive code points whose weights step by a constant at every level."""

    start: int
    back: bool
    bases: Levels
    steps: Levels
    end: int

    def extend(self, code: int, back: bool, weights: Levels) -> bool:
        """Take ``code`` into the run if its weights follow; a run of one takes its step from it."""
        if back != self.back or [len(w) for w in weights] != [len(b) for b in self.bases]:
            return False
        if self.end == self.start:
            self.steps = [
                [w - b for w, b in zip(ws, bs, strict=True)]
                for ws, bs in zip(weights, self.bases, strict=True)
            ]
        elif weights != self.at(code):
            return False
        self.end = code
        return True

    def at(self, code: int) -> Levels:
        offset = code - self.start
        return [
            [b + offset * s for b, s in zip(bs, ss, strict=True)]
            for bs, ss in zip(self.bases, self.steps, strict=True)
        ]


def runs() -> list[Run]:
    """Every code point's weights and level 2 direction, as runs."""
    out: list[Run] = []
    for code in range(0x110000):
        if code == 0 or 0xD800 <= code <= 0xDFFF:  # not in a C string, not in UTF-8 text
            weights: Levels = [[], [], [], []]
            back = False
        else:
            weights = levels(chr(code))
            back = backward(chr(code), weights[1])
        if not out or not out[-1].extend(code, back, weights):
            out.append(Run(code, back, weights, [[0] * len(w) for w in weights], code))
    return out


def contractions() -> dict[str, list[object]]:
    """The multi-character collating elements strxfrm confirms, with their weights."""
    if not _SOURCE.exists():
        raise SystemExit(f"{_SOURCE} is missing (apt-get install locales)")
    found: dict[str, list[object]] = {}
    for line in _SOURCE.read_text(encoding="utf-8").splitlines():
        match = re.match(r'collating-element <\S+> from "((?:<U[0-9A-F]+>)+)"', line)
        if match is None:
            continue
        text = "".join(chr(int(h, 16)) for h in re.findall(r"<U([0-9A-F]+)>", match.group(1)))
        one = levels(text)
        apart = [[w for char in text for w in levels(char)[level]] for level in range(3)]
        if one[:3] != apart or len(one[3]) != 1:  # one element: its own weights, one position
            found[text] = [*one, int(backward(text, one[1]))]
    return found


def pack(table: list[Run]) -> bytes:
    """The runs as little-endian int32s: their count, their first code points, the offset of
    each run's record, then the records: level 2 direction, and for each level the number of
    weights followed by (weight, step) pairs."""
    records: list[int] = []
    offsets: list[int] = []
    for run in table:
        offsets.append(len(records))
        records.append(int(run.back))
        for bases, steps in zip(run.bases, run.steps, strict=True):
            records.append(len(bases))
            for pair in zip(bases, steps, strict=True):
                records.extend(pair)
    numbers = [len(table), *(run.start for run in table), *offsets, *records]
    return struct.pack(f"<{len(numbers)}i", *numbers)


def main() -> None:
    try:
        locale.setlocale(locale.LC_COLLATE, "en_US.UTF-8")
    except locale.Error:
        raise SystemExit(
            "weights.py: the en_US.UTF-8 locale is missing (localedef -i en_US -f UTF-8 en_US.UTF-8)"
        ) from None
    plain = levels("a")[1]
    if len(plain) != 1:
        raise SystemExit(f"unexpected level 2 weight of 'a': {plain!r}")
    table = runs()
    blob = base64.b85encode(zlib.compress(pack(table), 9)).decode()
    elements = json.dumps(contractions(), separators=(",", ":")).encode()
    elements_blob = base64.b85encode(zlib.compress(elements, 9)).decode()
    version = platform.libc_ver()[1]
    print('"""glibc\'s en_US.UTF-8 collation: the weights of every code point (generated).')
    print()
    print(f"Generated by tools/glibc_collation/weights.py from strxfrm on glibc {version}; do not edit.")
    print("RUNS is base85 of zlib-compressed int32s (see the tool's ``pack``): runs of code points")
    print("whose weights at the four levels step by a constant, and their level 2 direction.")
    print("CONTRACTIONS is base85 of zlib-compressed JSON: each multi-character collating element's")
    print("weights at the four levels and its level 2 direction.")
    print('"""')
    print()
    print(f'GLIBC_VERSION = "{version}"')
    print('LOCALE = "en_US.UTF-8"')
    print(f"PLAIN_LEVEL2 = {plain[0]}  # level 2 weight of a base letter")
    for name, text in (("RUNS", blob), ("CONTRACTIONS", elements_blob)):
        print(f"{name} = (")
        for at in range(0, len(text), 96):
            print(f'    "{text[at : at + 96]}"')  # base85 has no quotes or backslashes
        print(")")
    print(f"# {len(table)} runs, {len(blob)} characters", file=sys.stderr)


if __name__ == "__main__":
    main()
