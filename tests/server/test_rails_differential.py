"""Replay the Rails differential runs against the mock and compare with real Rails.

``tests/data/rails-differential/cases-seed7.jsonl.gz`` holds 6,383 raw requests, each with the
answer a real Rails 6.1 + Ransack 4.1.1 + PostgreSQL app gave (``../shared/spec/rails-differential``),
recorded from the stand-in's 2015-02 mode (JSON whatever the format). Each request is sent byte
for byte, on a fresh connection, to the mock serving the same fixture file with the same two
tokens. Status, ``Content-Type`` and body must agree (the body by the run's own ``canon`` digest;
a 401 also by ``WWW-Authenticate``; ``Vary`` and ``ETag`` where the case recorded them); an HTML
error page agrees on status and content type only, since the reference app had no ``public/*.html``.

The seed-7 run is replayed twice: under ``--api-revision 2015-02`` against its own answers, and
under the default 2015-08 against them except for the 28 requests whose answer the stand-in's
2015-08 mode gives otherwise (XML: ``.xml``, ``?format=xml``, an XML Accept), whose 2015-08
answers are in ``seed7-2015-08.jsonl.gz``. ``tests/data/xml-differential/`` holds a corpus of XML
requests recorded from the 2015-08 stand-in (``tests/server/xml_corpus.py``), replayed the same way.

Left out: class S, the front-end server's handling of raw bytes and request lines (Puma there,
aiohttp here; the answers Puma writes itself carry no ``Content-Type``). No other exception.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.server.player_paths import is_player_target

from .rails_replay import DATA, Replayed, differs, load, replay

SHARED = Path(__file__).resolve().parents[3] / "shared" / "spec" / "rails-differential"
CASES = DATA / "cases-seed7.jsonl.gz"
RECORDED = 6383  # requests in the seed-7 run
CLASS_S = 36  # of them left out as class S: a new seed or rule must change this on purpose
CASES_2015_08 = DATA / "seed7-2015-08.jsonl.gz"  # the answers the 2015-08 stand-in gives otherwise
XML_DATA = DATA.parent / "xml-differential"


def _is_class_s(case: dict[str, Any]) -> bool:
    """The HTTP-server class: classify.py's request rule, or an answer Puma wrote itself."""
    target, auth = case["target"], case["auth"] or ""
    return bool(
        case["tag"] == "raw-target"
        or target == "*"
        or target.startswith("http://")
        or "\x0b" in auth
        or re.search(r'["<>]', target)
        or len(target) > 8190 - 16
        or case["rails"]["status"] == 0
        or case["rails"]["content_type"] is None
    )


def _problems(cases: list[dict[str, Any]], run: Replayed) -> list[str]:
    """What differs from Rails; first of all, any exception the mock recorded (the server renders
    it as Rails' own 500 body, which would agree with the 864 requests Rails answered 500)."""
    bugs = [f"the mock raised while replaying: {bug}" for bug in run.bugs]
    return bugs + [
        f"{c['n']} {c['tag']} {c['method']} {c['target'][:90]!r} accept={c['accept']!r}: {why}"
        for c in cases
        if (why := differs(c, run.answers[c["n"]]))
    ]


@pytest.fixture(scope="module", params=["2015-08", "2015-02"])
def replayed(request: pytest.FixtureRequest) -> tuple[list[dict[str, Any]], Replayed]:
    """The seed-7 cases outside class S, with the answers the revision's stand-in gives, and
    the mock's answers under that revision."""
    recorded = load(CASES)
    assert len(recorded) == RECORDED
    cases = [c for c in recorded if not _is_class_s(c)]
    assert len(recorded) - len(cases) == CLASS_S, "class S grew or shrank: check the new exclusions"
    if request.param == "2015-08":
        later = {c["n"]: c["rails"] for c in load(CASES_2015_08)}
        cases = [{**c, "rails": later[c["n"]]} if c["n"] in later else c for c in cases]
        # the stand-in serves no course player; the mock's is checked in tests/server/test_player.py
        cases = [c for c in cases if not is_player_target(c["target"])]
    return cases, replay(cases, api_revision=request.param)


@pytest.mark.skipif(not SHARED.exists(), reason="shared/spec is not beside this checkout")
@pytest.mark.parametrize("name", ["cases-seed7.jsonl.gz", "fixtures.json"])
def test_vendored_copy_matches_the_shared_spec(name: str) -> None:
    """Check that tests/data's copy of the differential run is the shared spec's, byte for byte."""
    assert (DATA / name).read_bytes() == (SHARED / name).read_bytes()


@pytest.mark.slow
def test_replay_agrees_with_rails_outside_class_s(replayed: tuple[list[dict[str, Any]], Replayed]) -> None:
    """Check every request outside class S gets Rails' status, content type and body, and that
    no answer came from an exception in the mock."""
    cases, run = replayed
    problems = _problems(cases, run)
    assert not problems, f"{len(problems)} answers differ from Rails:\n" + "\n".join(problems[:60])


def test_seed7_xml_cases_are_the_ones_2015_08_answers_otherwise() -> None:
    """Check that the 2015-08 answers that differ are exactly XML ones, for XML-format requests."""
    later = load(CASES_2015_08)
    assert len(later) == 28
    assert all(c["rails"]["content_type"] == "application/xml; charset=utf-8" for c in later)
    for case in later:
        accept = case["accept"] or ""
        assert ".xml" in case["target"] or "format=xml" in case["target"] or accept.endswith(("xml", "/*"))


def test_xml_corpus_agrees_with_the_2015_08_stand_in() -> None:
    """Check every request of the XML corpus (seed 16; nulls, accents, & < > in the data) gets
    the stand-in's status, content type, body bytes, ETag and Vary."""
    cases = load(XML_DATA / "cases.jsonl.gz")
    assert len(cases) >= 400
    problems = _problems(cases, replay(cases, fixtures=XML_DATA / "fixtures.json"))
    assert not problems, f"{len(problems)} answers differ from Rails:\n" + "\n".join(problems[:60])
