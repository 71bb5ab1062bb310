"""The generation table: names other tools call, and quirks that tell generations apart."""

from __future__ import annotations

import itertools

import pytest

from mockserver.stacks import (
    DEFAULT_STACK,
    HEADER_ONLY,
    QUIRKS,
    STACKS,
    Quirk,
    portability,
    stack_named,
    stacks_markdown,
)

# The names issue 10 fixes: other tools call them.
NAMES = (
    "rails6.1-ransack4.1",
    "rails6.1-ransack2.4",
    "rails6.0-ransack2.4",
    "rails5.2-ransack2.3",
    "rails5.1-ransack1.8",
    "rails4.2-ransack1.7",
)


def test_names_are_exactly_the_published_ones() -> None:
    """Check that the generations are exactly the six published names, default first."""
    assert tuple(s.name for s in STACKS) == NAMES
    assert DEFAULT_STACK.name == "rails6.1-ransack4.1"
    assert DEFAULT_STACK.quirks == frozenset()


def test_every_quirk_is_described_and_used() -> None:
    """Check that each quirk has its facts and at least one generation has it."""
    assert set(QUIRKS) == set(Quirk)
    used = set().union(*(s.quirks for s in STACKS))
    assert used == set(Quirk)


@pytest.mark.parametrize(("a", "b"), list(itertools.combinations(STACKS, 2)), ids=lambda s: s.name)
def test_generations_are_distinguishable(a: object, b: object) -> None:
    """Check that no two generations have the same quirks (else no probe could tell them apart)."""
    assert a.quirks != b.quirks


def test_older_generations_keep_the_newer_ones_quirks() -> None:
    """Check that quirks only accumulate going back in time (a newer stack has no quirk an older lacks)."""
    for newer, older in itertools.pairwise(STACKS):
        assert newer.quirks <= older.quirks, (newer.name, older.name)


def test_unknown_name_lists_the_valid_ones() -> None:
    """Check that an unknown name's error names every valid generation."""
    with pytest.raises(KeyError) as info:
        stack_named("rails7")
    assert all(name in str(info.value) for name in NAMES)


def test_markdown_table_has_a_row_per_quirk() -> None:
    """Check that the README table renders one row per quirk with one column per generation."""
    rows = stacks_markdown().splitlines()[2:]
    assert len(rows) == len(QUIRKS)
    assert all(row.count("|") == len(STACKS) + 5 for row in rows)


def test_rack_before_2_2_14_has_no_query_limit() -> None:
    """Check that every generation on Rack < 2.2.14 (rack@3f5a4249) parses any number of params."""
    for stack in STACKS:
        version = tuple(int(part) for part in stack.rack.split("."))
        assert stack.has(Quirk.NO_QUERY_LIMIT) == (version < (2, 2, 14)), stack.name


def test_portability_names_each_generation_with_its_effects() -> None:
    """Check the header text: generations in table order, each with the effects of its touched quirks."""
    touched = frozenset({Quirk.NO_STRIP, Quirk.STRICT_TOKEN_SCHEME})
    assert portability(touched) == (
        "rails5.2-ransack2.3: padded value searched as sent; "
        "rails5.1-ransack1.8: padded value searched as sent; "
        "rails4.2-ransack1.7: padded value searched as sent, 401 for this Authorization scheme"
    )
    # relative to the served generation: from rails5.2, only those without the quirk differ
    assert portability(frozenset({Quirk.NO_STRIP}), stack_named("rails5.2-ransack2.3")) == (
        "rails6.1-ransack4.1: padded value searched as sent; "
        "rails6.1-ransack2.4: padded value searched as sent; "
        "rails6.0-ransack2.4: padded value searched as sent"
    )


def test_header_only_quirks_are_never_warned() -> None:
    """Check that ETag, Vary and security-header differences produce no portability text."""
    assert portability(HEADER_ONLY) == ""
    assert all(QUIRKS[q].effect for q in Quirk)
