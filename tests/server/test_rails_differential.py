"""Replay the seed-7 Rails differential run against the mock and compare with real Rails.

``tests/data/rails-differential/cases-seed7.jsonl.gz`` holds 6,383 raw requests, each with the
answer a real Rails 6.1 + Ransack 4.1.1 + PostgreSQL app gave (``../shared/spec/rails-differential``).
Each request is sent byte for byte, on a fresh connection, to the mock serving the same fixture
file with the same two tokens. Status, ``Content-Type`` and body must agree (the body by the
run's own ``canon`` digest; a 401 also by ``WWW-Authenticate``); an HTML error page agrees on
status and content type only, since the reference app had no ``public/*.html``.

Left out: class S, the front-end server's handling of raw bytes and request lines (Puma there,
aiohttp here; the answers Puma writes itself carry no ``Content-Type``). No other exception.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import pytest

from .rails_replay import DATA, Replayed, differs, replay

SHARED = Path(__file__).resolve().parents[3] / "shared" / "spec" / "rails-differential"
CASES = DATA / "cases-seed7.jsonl.gz"
RECORDED = 6383  # requests in the seed-7 run
CLASS_S = 36  # of them left out as class S: a new seed or rule must change this on purpose


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


@pytest.fixture(scope="module")
def replayed() -> tuple[list[dict[str, Any]], Replayed]:
    with gzip.open(CASES, "rt", encoding="utf-8") as lines:
        cases = [json.loads(line) for line in lines]
    assert len(cases) == RECORDED
    kept = [c for c in cases if not _is_class_s(c)]
    assert len(cases) - len(kept) == CLASS_S, "class S grew or shrank: check the new exclusions"
    return kept, replay(kept)


@pytest.mark.skipif(not SHARED.exists(), reason="shared/spec is not beside this checkout")
@pytest.mark.parametrize("name", ["cases-seed7.jsonl.gz", "fixtures.json"])
def test_vendored_copy_matches_the_shared_spec(name: str) -> None:
    """Check that tests/data's copy of the differential run is the shared spec's, byte for byte."""
    assert (DATA / name).read_bytes() == (SHARED / name).read_bytes()


def test_replay_agrees_with_rails_outside_class_s(replayed: tuple[list[dict[str, Any]], Replayed]) -> None:
    """Check every request outside class S gets Rails' status, content type and body, and that
    no answer came from an exception in the mock (its 500 would look like Rails' own)."""
    cases, run = replayed
    assert run.bugs == [], f"the mock raised while replaying: {run.bugs[:5]}"
    problems = [
        f"{c['n']} {c['tag']} {c['method']} {c['target'][:90]!r} accept={c['accept']!r}: {why}"
        for c in cases
        if (why := differs(c, run.answers[c["n"]]))
    ]
    assert not problems, f"{len(problems)} answers differ from Rails:\n" + "\n".join(problems[:60])
