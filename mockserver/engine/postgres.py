"""What PostgreSQL does with the values: lower(), ILIKE patterns, collation, decimal(10,1).

Pure and stdlib only. ``lower()`` is per code point (no final-sigma rule), which differs from
Python's ``str.lower()`` on whole strings; ORDER BY on text follows glibc's en_US collation.
"""

from __future__ import annotations

import base64
import bisect
import functools
import json
import re
import sys
import zlib
from array import array
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from mockserver.engine.collation_table import CONTRACTIONS, PLAIN_LEVEL2, RUNS


def date_key(year: int, month: int, day: int) -> int:
    """An integer that orders like the date, for any year (0, negative, > 9999)."""
    return year * 10000 + month * 100 + day


def pg_lower(text: str) -> str:
    """PostgreSQL ``lower()``: per code point, no final-sigma rule, U+0130 becomes plain i."""
    if text.isascii() or ("\u03a3" not in text and "\u0130" not in text):
        return text.lower()  # only final sigma and U+0130 make str.lower() differ
    return "".join("i" if c == "\u0130" else c.lower() for c in text)


# --- en_US.UTF-8 collation: glibc's strxfrm, rebuilt from the generated weights -----------------

Element = tuple[str, str, str, str, bool]  # weights at levels 1-4, level 2 backward
_CACHE_LIMIT = 1 << 14  # code points kept decoded per cache (at most about 1 MB each)


class _Table(NamedTuple):
    starts: array[int]  # each run's first code point, ascending
    offsets: array[int]  # where each run's record starts in ``records``
    records: array[int]
    contractions: dict[str, Element]
    continuing: frozenset[str]  # the characters after the first of a multi-character element


@functools.cache
def _table() -> _Table:
    """``collation_table`` decompressed, on first use (about 10 ms, under 1 MB)."""
    numbers = array("i", zlib.decompress(base64.b85decode(RUNS)))
    if sys.byteorder == "big":  # the table is little-endian
        numbers.byteswap()
    count = numbers[0]
    elements = json.loads(zlib.decompress(base64.b85decode(CONTRACTIONS)))
    contractions = {text: _strings(weights[:4], weights[4]) for text, weights in elements.items()}
    continuing = frozenset(char for text in contractions for char in text[1:])
    runs = numbers[1 : 1 + count], numbers[1 + count : 1 + 2 * count], numbers[1 + 2 * count :]
    return _Table(*runs, contractions, continuing)


def _strings(levels: list[list[int]], back: int) -> Element:
    first, second, third, fourth = ("".join(map(chr, weights)) for weights in levels)
    return first, second, third, fourth, bool(back)


def _element(code: int) -> Element:
    """One code point's weights, decoded from its run: each level's weights step by a constant."""
    table = _table()
    run = bisect.bisect_right(table.starts, code) - 1
    offset = code - table.starts[run]
    records = table.records
    at = table.offsets[run]
    back = records[at]
    levels: list[list[int]] = []
    for _ in range(4):
        size = records[at + 1]
        levels.append([records[at + 2 + 2 * i] + offset * records[at + 3 + 2 * i] for i in range(size)])
        at += 1 + 2 * size
    return _strings(levels, back)


class _Elements(dict[int, Element]):
    """Code point -> its collating element's weights, decoded on demand and bounded."""

    def __missing__(self, code: int) -> Element:
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        self[code] = value = _element(code)
        return value


class _Level(dict[int, str]):
    """A ``str.translate`` table: code point -> its weights at one level. At level 1 a code point
    the translation cannot handle (see ``_plain``) maps to NUL, which sends the text to
    ``_general_key``, and one whose level 2 weight ``strcoll`` may skip (backward, with a level
    2 weight, see ``_second_level``) has U+0001 (never a weight) before its weights. At level 4
    each weight comes after its 'position' count, 1. Table 4 is how ``strcoll`` reads level 2:
    ``w`` backward with a level 2 weight, ``b`` backward without, ``f`` forward, ``e`` forward
    without a level 2 weight."""

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def __missing__(self, code: int) -> str:
        first, second, third, fourth, back = element = _element(code)
        if not _plain(code, element):
            first = "\0"
        elif back and second:
            first = "\1" + first
        runs = ("w" if second else "b") if back else ("f" if second else "e")
        value = (first, second, third, "\1" + fourth, runs)[self.level]
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        self[code] = value
        return value


def _plain(code: int, element: Element) -> bool:
    """Whether concatenating per-character weights gives glibc's strxfrm for any text with this
    character: it weighs level 4 (no 'position' gap), continues no multi-character element, and
    is forward at level 2 or has only level 2's plain weight (reversing those changes nothing)."""
    if not element[3] or chr(code) in _table().continuing:
        return False
    return not element[4] or not element[1].strip(chr(PLAIN_LEVEL2))


_ELEMENTS = _Elements()
# the character strcoll skips at level 2 in a run of backward ones (see ``_second_level``)
_SKIPPED = re.compile("w(?=[wb][ef])")
# a run after a forward character without a level 2 weight: strcoll re-reads it from too early
_SHIFTED = re.compile("e[wb][wb]")
_LEVELS = tuple(_Level(level) for level in range(5))


def collation_key(text: str) -> str:
    """A string that orders like PostgreSQL's text comparison under en_US.UTF-8 on glibc 2.36:
    ``strcoll``, ties broken by the bytes.

    It is glibc's ``strxfrm`` (wide-character weights, levels split by U+0001), rebuilt from
    ``collation_table``, except at level 2, which follows ``strcoll`` (see ``_second_level``),
    then NUL and the text itself. glibc's four levels: base characters (spaces, punctuation and
    most symbols ignored), accents, case, then the character itself.
    """
    if not text:
        return "\0"
    if text.isascii() and (tables := _ascii_tables()) is not None:
        ascii1, plain, case, ignored, ascii4, classes = tables
        level1 = text.translate(ascii1)
        if "\0" not in level1:  # one weight per weighed character, level 2's plain one
            encoded = text.encode()
            weighed = len(level1)
            if 87 in (kinds := encoded.translate(classes)):  # a "W" (see _second_level)
                weighed -= kinds.count(b"WWF") + kinds.count(b"WBF")
            level3 = encoded.translate(case, ignored).decode("latin-1")
            return f"{level1}\1{plain * weighed}\1{level3}\1{text.translate(ascii4)}\0{text}"
    first, second, third, last, directions = _LEVELS
    level1 = text.translate(first)
    if "\0" in level1:
        return _general_key(text) + "\0" + text
    level2 = text.translate(second)
    if "\1" in level1:  # a character whose level 2 weight strcoll may skip
        level1 = level1.replace("\1", "")
        runs = text.translate(directions)
        if "e" in runs and _SHIFTED.search(runs):
            return _general_key(text) + "\0" + text
        if _SKIPPED.search(runs):
            kept = _SKIPPED.sub("s", runs)
            level2 = "".join(c for c, run in zip(text, kept, strict=True) if run != "s").translate(second)
    return f"{level1}\1{level2}\1{text.translate(third)}\1{text.translate(last)}\0{text}"


@functools.cache
def _ascii_tables() -> tuple[list[str], str, bytes, bytes, list[str], bytes] | None:
    """Faster tables for ASCII text: levels 1 and 4 as lists, level 2's plain weight, level 3
    as ``bytes.translate`` arguments, and a ``bytes.translate`` table of how ``strcoll`` reads
    level 2 (``_second_level``): ``W`` backward with a weight, ``B`` backward without, ``F``
    forward; a ``W`` before a ``B`` or ``W`` and an ``F`` is skipped. They hold when every ASCII
    character has, at levels 1 to 3, either no weight (and sorts level 2 backward) or one each,
    level 2's plain one and a level 3 weight below 256 (true of glibc 2.36); None otherwise."""
    first, _, _, fourth, _ = _LEVELS
    case, ignored = bytearray(range(256)), bytearray(b"\0")  # NUL: no weights, never in text
    runs = bytearray(b"B" * 256)
    for code in range(1, 128):
        weights = _element(code)
        if not "".join(weights[:3]) and weights[4]:
            ignored.append(code)
        elif (
            [len(w) for w in weights[:3]] == [1, 1, 1]
            and weights[1] == chr(PLAIN_LEVEL2)
            and weights[2] < "\u0100"
        ):
            case[code] = ord(weights[2])
            runs[code] = ord("W") if weights[4] else ord("F")
        else:
            return None
    return (
        [first[c].lstrip("\1") for c in range(128)],
        chr(PLAIN_LEVEL2),
        bytes(case),
        bytes(ignored),
        [fourth[c] for c in range(128)],
        bytes(runs),
    )


def _general_key(text: str) -> str:
    """The key's levels for any text: glibc's strxfrm (``do_xfrm``) with its multi-character
    collating elements and level 4's 'position' counts of ignored elements, and strcoll's
    level 2 (``_second_level``)."""
    elements = list(_collating_elements(text))
    fourth: list[str] = []
    skipped = 1
    for element in elements:
        if element[3]:
            fourth.append(chr(min(skipped, 0x10FFFF)) + element[3])
            skipped = 1
        else:
            skipped += 1
    levels = ["".join(e[0] for e in elements), _second_level(elements), "".join(e[2] for e in elements)]
    if fourth:  # glibc drops the last separator when level 4 is empty
        levels.append("".join(fourth))
    return "\1".join(levels)


def _second_level(elements: list[Element]) -> str:
    """Level 2 as glibc 2.36's ``strcoll`` reads it: ``get_next_seq`` in string/strcoll_l.c,
    step for step, over the collating elements instead of the bytes.

    A run of backward elements (combining marks, digits, spaces, punctuation, symbols: the
    locale's SPECIAL section) is weighed in reverse. ``strcoll`` takes the run's last element,
    then re-reads the run from a saved start for each of the others, and differs from
    ``strxfrm`` in two ways: when a forward element ends the run it steps back twice before the
    first re-read, so the run's last element but one is never weighed; and the saved start is
    where the call began, before any forward elements without a level 2 weight (Han, ...) it
    passed over, so the re-reads land that many elements early. PostgreSQL compares with
    ``strcoll``, so the key follows it."""
    out: list[str] = []
    size = len(elements)
    start = 0  # seq->us: where the next call begins
    read = 0  # idxmax: elements read forward so far
    count = 0  # idxcnt
    stop: int | None = None  # backw_stop: None while no run is pending
    back = 0  # backw
    run_start = 0  # back_us
    current = saved = elements[0]
    while True:
        at = start
        weights = ""
        while not weights:
            if stop is not None and back == stop:
                if count >= read:  # the run ended the text
                    return "".join(out)
                current, stop = saved, None
            elif stop is not None:
                current = elements[run_start + back - stop - 1]
                back -= 1
                at = start
            else:
                stop, previous = read, current
                while at < size:
                    previous, current = current, elements[at]
                    at += 1
                    count, read = read, read + 1
                    if not current[4]:
                        break
                    count += 1
                if stop >= count:
                    if count == read or stop > count:
                        return "".join(out)
                    stop = None
                else:  # a run of backward elements: weigh its last one first
                    run_start, start, back = start, at, count
                    if read > count:  # a forward element ended it
                        back -= 1
                        saved, current = current, previous
                    if back > stop:
                        back -= 1
            weights = current[1]
        out.append(weights)
        start = at


def _collating_elements(text: str) -> Iterator[Element]:
    """The text's collating elements: glibc takes the longest multi-character element first."""
    contractions = _table().contractions
    at = 0
    while at < len(text):
        for size in (3, 2):
            element = contractions.get(text[at : at + size]) if at + size <= len(text) else None
            if element is not None:
                yield element
                at += size
                break
        else:
            yield _ELEMENTS[ord(text[at])]
            at += 1


def tenths(value: Decimal) -> int:
    """decimal(10,1): PostgreSQL rounds half away from zero to one decimal place."""
    return int((value * 10).to_integral_value(rounding=ROUND_HALF_UP))


def escape_like(text: str) -> str:
    """Ransack 4 escape_wildcards on PostgreSQL: backslash before \\ % _ and ."""
    return re.sub(r"([\\%_.])", r"\\\1", text)


def escape_like_17(text: str) -> str:
    """Ransack <= 1.7.0 escape_wildcards on PostgreSQL: a backslash before backslash, ``|``,
    ``%`` and ``.``, but ``_`` stays a wildcard (escaped from v1.8.0, ransack@9c2bbfb7)."""
    return re.sub(r"([\\|%.])", r"\\\1", text)
