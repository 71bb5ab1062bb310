"""``mockserver probe``'s generation fingerprint, against the mock served in each generation."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mockserver.cli import main
from mockserver.stacks import STACKS, Quirk
from mockserver.tools import fingerprint

from ..broken_mock import running
from ..server_process import serve

NAMES = [s.name for s in STACKS]
A_500 = re.compile(r"GET \S+ 500 ")


def _probe(url: str, capsys: pytest.CaptureFixture[str], *flags: str) -> dict[str, object]:
    main(["probe", url, "--json", *flags])
    report: dict[str, object] = json.loads(capsys.readouterr().out)
    return report


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.process
def test_the_served_generation_ranks_first(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Check that with --allow-errors the mock served as a generation is identified as exactly it."""
    with serve(tmp_path, "--stack", name) as server:
        report = _probe(f"{server.base}/api/train_sessions", capsys, "--allow-errors")
    assert report["stacks"] == [name]
    assert report["pagination"] is None


@pytest.mark.parametrize("name", ["rails6.1-ransack2.4", "rails4.2-ransack1.7"])
@pytest.mark.process
def test_without_allow_errors_no_generation_answers_500(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Check that the default probe causes no 500 even on old generations, and still keeps the
    served generation among the consistent ones (only the 500-causing quirks stay unknown)."""
    with serve(tmp_path, "--stack", name) as server:
        report = _probe(f"{server.base}/api/train_sessions", capsys)
        log = server.logs()
    assert name in report["stacks"]
    assert str(Quirk.CASTED_OVERFLOW_500) in report["unobserved"]
    assert not A_500.search(log), log[-2000:]


@pytest.mark.process
def test_the_text_report_names_the_stack_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Check that the text report ends with the --stack to serve the mock with."""
    with serve(tmp_path, "--stack", "rails5.2-ransack2.3") as server:
        main(["probe", f"{server.base}/api/train_sessions", "--allow-errors"])
    out = capsys.readouterr().out
    assert "use: mockserver serve --stack rails5.2-ransack2.3" in out
    assert "pagination: none" in out


@pytest.mark.process
def test_an_endpoint_mixing_generations_matches_none(capsys: pytest.CaptureFixture[str]) -> None:
    """Check that today's mock refusing Bearer (a Rails 4.2 answer among modern ones) fits no
    generation, exits 1, and the nearest ones name the conflicting behaviour."""
    with running("bearer_refused") as url:
        assert main(["probe", url, "--json", "--allow-errors"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["stacks"] == []
    best = report["generations"][0]
    assert best["name"] == "rails6.1-ransack4.1" and best["disagree"] == [str(Quirk.STRICT_TOKEN_SCHEME)]


def test_ranking_prefers_fewest_unknowns() -> None:
    """Check that, among generations the observations cannot tell apart, the one assuming the
    fewest unobserved quirks ranks first."""
    observations = [
        fingerprint.suite_fingerprint.Observation(str(Quirk.NO_VARY_ACCEPT), False, "Vary: Accept")
    ]
    ranking = fingerprint.rank(observations)
    assert ranking[0].generation.name == "rails6.1-ransack4.1"
    assert ranking[1].generation.name == "rails6.1-ransack2.4" and ranking[1].unknown == 1
    assert [r.generation.name for r in ranking if not r.consistent] == NAMES[2:]


@pytest.mark.process
def test_pagination_is_detected_and_does_not_blur_the_fingerprint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Check that a paginated index is reported with its headers and still fingerprints exactly
    (row counts come from Total, not from the first page's length)."""
    with serve(tmp_path, "--paginate", "64") as server:
        report = _probe(f"{server.base}/api/train_sessions", capsys, "--allow-errors")
    pagination = report["pagination"]
    assert isinstance(pagination, dict)
    assert pagination["per_page"] == "64" and pagination["total"] == "400"
    assert 'rel="next"' in pagination["link"]
    assert report["stacks"] == ["rails6.1-ransack4.1"]
