"""Replay the params corpus recorded from the 2015-08 stand-in (``params_corpus.py``).

Each request is sent byte for byte to the mock serving ``fixtures/train_sessions.json`` by
the differential replay helper (``rails_replay``); status, ``Content-Type``, body (by digest; an
HTML error page by status and type only), ``ETag`` and ``Vary`` must agree.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.server.params_corpus import DATA, build_cases
from tests.server.rails_replay import differs, load, replay

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "train_sessions.json"


@pytest.mark.parametrize("name", ["multiparameter.jsonl.gz", "bodies.jsonl.gz"])
def test_params_corpus_agrees_with_the_stand_in(name: str) -> None:
    """Check every recorded multiparameter key / GET body gets the stand-in's answer."""
    cases = load(DATA / name)
    expected = build_cases()[name]
    assert [c["target"] for c in cases] == [c["target"] for c in expected]  # recorded as built
    run = replay(cases, fixtures=FIXTURES)
    problems = [f"the mock raised: {bug}" for bug in run.bugs] + [
        f"{c['n']} {c['method']} {c['target'][:90]!r} {c.get('body', '')[:60]!r}: {why}"
        for c in cases
        if (why := differs(c, run.answers[c["n"]]))
    ]
    assert not problems, f"{len(problems)} answers differ from Rails:\n" + "\n".join(problems)


def test_the_corpus_holds_what_rails_refuses_and_accepts() -> None:
    """Check the corpus is not one-sided: both 500s and filtered 200s were recorded."""
    statuses = {
        c["rails"]["status"]
        for name in ("multiparameter.jsonl.gz", "bodies.jsonl.gz")
        for c in load(DATA / name)
    }
    assert {200, 500} <= statuses
