"""``--stack rails6.1-ransack2.4`` against real code: the requests of the seed-7 differential run
that a real Rails 6.1 app answers differently on Ransack v2.4.2 than on v4.1.1.

``tests/data/rails-differential/ransack2.4.2-seed7-differs.jsonl`` holds those 67 requests (all
out-of-int4 integers, a 500 on 2.4.2) with the v2.4.2 app's answers: the stand-in of
``shared/tools/rails-standin`` with ``STANDIN_RANSACK=v2.4.2``, fed ``fixtures.json``.
Replayed byte for byte, the mock in that generation must give each answer, and the default
generation must not (it gives 4.1.1's, which ``test_rails_differential`` checks). The whole
run agreed outside class S (6,348 of 6,383).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from mockserver.stacks import DEFAULT_STACK, stack_named

from .rails_replay import DATA, differs, replay

CASES = DATA / "ransack2.4.2-seed7-differs.jsonl"


@pytest.fixture(scope="module")
def cases() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines()]


def test_ransack_2_4_generation_answers_as_real_ransack_2_4(cases: list[dict[str, Any]]) -> None:
    """Check that every generation-dependent request gets real Rails 6.1 + Ransack 2.4.2's answer."""
    run = replay(cases, stack_named("rails6.1-ransack2.4"))
    assert run.bugs == [], f"the mock raised while replaying: {run.bugs[:5]}"
    wrong = {c["target"]: why for c in cases if (why := differs(c, run.answers[c["n"]]))}
    assert len(cases) == 67
    assert wrong == {}


def test_default_generation_answers_otherwise(cases: list[dict[str, Any]]) -> None:
    """Check that these requests do tell the generations apart: the default answers each otherwise."""
    run = replay(cases, DEFAULT_STACK)
    assert run.bugs == [], f"the mock raised while replaying: {run.bugs[:5]}"
    assert all(differs(c, run.answers[c["n"]]) for c in cases)


def test_a_crash_in_the_mock_is_seen(cases: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    """Check that the replay sees an exception in the mock even where Rails answered 500 too
    (the server renders any exception as Rails' 500 body, which would otherwise agree)."""

    def crash(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("planted")

    monkeypatch.setattr("mockserver.server.views.compile_search", crash)
    run = replay(cases[:3], stack_named("rails6.1-ransack2.4"))
    assert all(not differs(c, run.answers[c["n"]]) for c in cases[:3])  # every answer looks right
    assert run.bugs and run.bugs[0] == "ZeroDivisionError: planted"
