"""The en_US.UTF-8 collation key against glibc itself: strcoll, ties broken by the bytes.

PostgreSQL 15 on Debian 12 compares text with glibc 2.36's ``strcoll`` and, on a tie, the bytes;
``collation_key`` must order every pair of strings the same way. These tests need the
en_US.UTF-8 locale and the glibc the table was generated from: elsewhere they skip, except on CI
(``CI`` set), where ``.ci/run`` generates the locale and a missing one is a failure.
"""

from __future__ import annotations

import importlib.util
import itertools
import locale
import os
import platform
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from mockserver.engine import postgres
from mockserver.engine.collation_table import GLIBC_VERSION, LOCALE
from mockserver.engine.postgres import collation_key

_TOOLS = Path(__file__).resolve().parents[2] / "tools" / "glibc_collation"


def _on_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="module", autouse=True)
def _en_us() -> Iterator[None]:
    """Switch LC_COLLATE to en_US.UTF-8 for this module; restore it afterwards."""
    previous = locale.setlocale(locale.LC_COLLATE)
    try:
        locale.setlocale(locale.LC_COLLATE, LOCALE)
    except locale.Error:
        if _on_ci():
            pytest.fail(f"the {LOCALE} locale is missing on CI; .ci/run should have generated it")
        pytest.skip(f"the {LOCALE} locale is missing (localedef -i en_US -f UTF-8 {LOCALE})")
    libc = platform.libc_ver()
    if libc != ("glibc", GLIBC_VERSION):
        locale.setlocale(locale.LC_COLLATE, previous)
        message = f"the table is glibc {GLIBC_VERSION}'s; this machine has {libc}"
        if _on_ci():
            pytest.fail(message)
        pytest.skip(message)
    yield
    locale.setlocale(locale.LC_COLLATE, previous)


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


def _postgres(a: str, b: str) -> int:
    """PostgreSQL's comparison under a deterministic collation: strcoll, then the bytes."""
    return _sign(locale.strcoll(a, b)) or _sign((a.encode() > b.encode()) - (a.encode() < b.encode()))


def _mock(a: str, b: str) -> int:
    ka, kb = collation_key(a), collation_key(b)
    return _sign((ka > kb) - (ka < kb))


def _chars(*ranges: tuple[int, int]) -> st.SearchStrategy[str]:
    return st.one_of(*(st.characters(min_codepoint=lo, max_codepoint=hi) for lo, hi in ranges))


_NO_NUL = st.characters(min_codepoint=1, blacklist_categories=["Cs"])  # text in PostgreSQL
_FRENCH = ["Adele", "Eloise", "Helene", "Leonie", "Cecile", "Jerome", "Francois", "Noel", "Zoe"]
_ACCENTS = {"e": "eéèêëEÉÈÊË", "o": "oôöOÔÖ", "a": "aàâäAÀÂ", "c": "cçCÇ", "i": "iîïIÎÏ"}
_CONTRACTIONS = sorted(postgres._table().contractions)

ALPHABETS = {
    "printable ASCII": _chars((0x20, 0x7E)),
    "Latin-1 and Latin Extended-A": _chars((0x20, 0x7E), (0xA0, 0x17F)),
    "mixed scripts": st.one_of(
        _chars((0x20, 0x7E), (0xC0, 0x17F), (0x300, 0x36F), (0x391, 0x3C9), (0x410, 0x44F)),
        _chars((0x5D0, 0x5EA), (0x627, 0x64A), (0xE01, 0xE4D), (0x3041, 0x30FF), (0x4E00, 0x4E40)),
        st.sampled_from(["\u00a0", "\u2009", "\u00b7", "\u0387", "L", "l", "ß", "ø", "Œ", "ı", "İ"]),
    ),
    "random BMP": st.characters(min_codepoint=1, max_codepoint=0xFFFF, blacklist_categories=["Cs"]),
    "all of Unicode": _NO_NUL,
}


def _texts(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.text(alphabet, max_size=8)


@st.composite
def french_variants(draw: st.DrawFn) -> tuple[str, str]:
    """Two spellings of one French name that differ in accents and case."""
    name = draw(st.sampled_from(_FRENCH))
    spell = st.lists(st.integers(0, 9), min_size=len(name), max_size=len(name))
    picks = draw(spell), draw(spell)
    return tuple(
        "".join((alts := _ACCENTS.get(c.lower(), c))[i % len(alts)] for c, i in zip(name, p, strict=True))
        for p in picks
    )


# runs of backward characters (combining marks, digits, spaces, punctuation, symbols) beside forward
# ones and Han (no weight at levels 2 to 4): strcoll and strxfrm read them differently at level 2
_RUNS = st.sampled_from(
    [*"aAeEzZ0129-. ,'$\t\u00b7\u00a0\u2009\u0327\u0e40ก一中", *map(chr, range(0x300, 0x30C))]
)


@st.composite
def edited_pairs(draw: st.DrawFn) -> tuple[str, str]:
    """A text of backward runs and an edit of it (characters dropped, inserted, case changed):
    the pair mostly ties at level 1, so level 2 decides."""
    text = draw(st.text(_RUNS, max_size=8))
    edits = draw(st.lists(st.tuples(st.integers(0, 3), _RUNS), min_size=len(text), max_size=len(text)))
    edited = "".join(
        ("", char + extra, char.swapcase(), char)[kind]
        for char, (kind, extra) in zip(text, edits, strict=True)
    )
    return text, edited + draw(st.text(_RUNS, max_size=1))


contraction_texts = st.lists(
    st.one_of(st.sampled_from(_CONTRACTIONS), st.sampled_from(list("Ll·\u0306\u0301$一 กเ")), _NO_NUL),
    max_size=6,
).map("".join)


@pytest.mark.parametrize("name", sorted(ALPHABETS))
def test_collation_key_orders_like_strcoll(name: str) -> None:
    """Check that the key orders two texts of each alphabet as strcoll with a byte tiebreak."""

    @settings(max_examples=300, deadline=None)
    @given(_texts(ALPHABETS[name]), _texts(ALPHABETS[name]))
    def check(a: str, b: str) -> None:
        note(f"{a!r} {b!r}: key {collation_key(a)!r} vs {collation_key(b)!r}")
        assert _mock(a, b) == _postgres(a, b)

    check()


@settings(max_examples=300, deadline=None)
@given(french_variants())
def test_french_accent_variants_order_like_strcoll(pair: tuple[str, str]) -> None:
    """Check that accent and case variants of one name order as strcoll does (Adéle < Adèle)."""
    a, b = pair
    note(f"{a!r} {b!r}")
    assert _mock(a, b) == _postgres(a, b)


@settings(max_examples=300, deadline=None)
@given(contraction_texts, contraction_texts)
def test_multi_character_elements_order_like_strcoll(a: str, b: str) -> None:
    """Check texts holding glibc's multi-character elements (L·, Thai pre-vowels, ...),
    backward level 2 runs (combining marks) and level 4 gaps (Han)."""
    note(f"{a!r} {b!r}")
    assert _mock(a, b) == _postgres(a, b)


def _levels(key: str) -> list[str]:
    """A key's (or a strxfrm's) four levels; glibc drops the last separator when level 4 is empty."""
    return [*key.split("\0")[0].split("\1", 3), ""][:4]


def _backward_pair(text: str) -> bool:
    """Whether two collating elements in a row sort level 2 backward (a run strcoll reads its way)."""
    backward = [element[4] for element in postgres._collating_elements(text)]
    return any(a and b for a, b in itertools.pairwise(backward))


@settings(max_examples=200, deadline=None)
@given(st.one_of(_texts(_NO_NUL), _texts(_RUNS)))
def test_key_is_strxfrm_but_level_2_then_the_text(text: str) -> None:
    """Check that the key is glibc's (wide-character) strxfrm, NUL, then the text, except at
    level 2 after two backward elements in a row: the fast per-character translation and the
    general algorithm agree with glibc."""
    note(f"{text!r}: strxfrm {locale.strxfrm(text)!r}")
    key, xfrm = _levels(collation_key(text)), _levels(locale.strxfrm(text))
    assert collation_key(text).endswith("\0" + text)
    assert [key[0], *key[2:]] == [xfrm[0], *xfrm[2:]]
    if not _backward_pair(text):
        assert key[1] == xfrm[1]


@settings(max_examples=300, deadline=None)
@given(st.one_of(_texts(_NO_NUL), _texts(_RUNS), _texts(_chars((0x20, 0x7E)))))
def test_fast_paths_give_the_general_key(text: str) -> None:
    """Check that the ASCII and per-character paths give what the general algorithm (collating
    elements, strcoll's level 2 step for step) gives, on text full of backward runs."""
    general = postgres._general_key(text) + "\0" + text if text else "\0"
    assert collation_key(text) == general


def test_ascii_text_takes_the_byte_tables() -> None:
    """Check that the table lets ASCII text take the fast path (one weight per character at
    levels 1 to 3), and that it gives strxfrm on every printable ASCII character."""
    assert postgres._ascii_tables() is not None
    for code in range(0x20, 0x7F):
        text = f"a{chr(code)}B"
        assert collation_key(text) == locale.strxfrm(text) + "\0" + text


@settings(max_examples=400, deadline=None)
@given(edited_pairs())
def test_backward_runs_order_like_strcoll(pair: tuple[str, str]) -> None:
    """Check a text of backward runs against an edit of it: level 2 as strcoll reads it."""
    a, b = pair
    note(f"{a!r} {b!r}: key {collation_key(a)!r} vs {collation_key(b)!r}")
    assert _mock(a, b) == _postgres(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("\u03060A", "0A"),  # B1 B2 F: strcoll skips B1 (the breve) at level 2
        ("12A", "1-2a"),  # ASCII: '1' skipped in 12A, '-' (no level 2 weight) in 1-2a
        ("一\u0306", "一\u0306."),  # Han before the run: the re-read lands on 一, the breve is lost
    ],
)
def test_strcoll_level_2_examples(a: str, b: str) -> None:
    """Check pairs where glibc's strcoll and strxfrm disagree (so PostgreSQL does not order as
    strxfrm): the key orders them as strcoll."""
    xfrm = _sign((locale.strxfrm(a) > locale.strxfrm(b)) - (locale.strxfrm(a) < locale.strxfrm(b)))
    assert xfrm != _postgres(a, b)
    assert _mock(a, b) == _postgres(a, b)
    assert _mock(b, a) == _postgres(b, a)


def _tool(name: str) -> ModuleType:
    """One of ``tools/glibc_collation``'s scripts, imported."""
    spec = importlib.util.spec_from_file_location(f"glibc_collation_{name}", _TOOLS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


def test_table_matches_this_glibc() -> None:
    """Check the generated table against strxfrm here: every Latin code point and a sample of
    the rest decode to the weights and level 2 direction the generator reads from glibc."""
    generator = _tool("weights")
    rng = random.Random(17)
    sample = [*range(1, 0x250), *(rng.randrange(0x250, 0x110000) for _ in range(3000))]
    for code in sample:
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        expected = ["".join(map(chr, level)) for level in generator.levels(char)]
        assert list(postgres._element(code)) == [*expected, generator.backward(char)], hex(code)


def test_compare_tool_finds_no_disagreement(capsys: pytest.CaptureFixture[str]) -> None:
    """Check the documented check, ``tools/glibc_collation/compare.py``: 0 of its 127,325
    random pairs (five alphabets, and edits of texts of backward runs) order differently from
    strcoll."""
    compare = _tool("compare")
    assert compare.main() == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1:3] for line in lines] == [["0", "of"]] * len(compare.CATEGORIES), lines
