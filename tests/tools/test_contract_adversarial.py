"""The whole contract suite against the mock over generated adversarial fixture sets, in each of
the six stack generations: a correct endpoint must pass on any data, so every failure here is an
oracle that read raw fixture text instead of the generation's normalisation (or a mock bug).

Each run is in ``auto`` mode, so the fingerprint must also find the served generation on data it
has never seen (an empty account included). Affordable by design: a few derandomized sets, one
mock per (set, generation), two suite runs at a time (the machine has two cores).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from mockserver.dataset import validate_records
from mockserver.stacks import STACKS

from ..fixture_sets import VIEWS, FixtureSet, fixture_sets
from ..server_process import serve
from .test_generation_matrix import suite_run

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "adversarial-token"
SETS_PER_VIEW = 1  # generated sets per view (many, one, no records), each served in six generations
PARALLEL = 2


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(fixture_sets())
def test_generated_sets_are_valid_fixtures(drawn: FixtureSet) -> None:
    """Check that every generated set is valid under schemas/fixture.schema.json and loads."""
    schema = json.loads((ROOT / "schemas" / "fixture.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(list(drawn.records), schema)
    assert len(validate_records(list(drawn.records))) == len(drawn.records)


def run_suite(url: str) -> tuple[int, str]:
    """The whole suite against ``url``, fingerprinting it first (auto): (exit code, output)."""
    return suite_run(url, "--api-token", TOKEN, "--stack", "auto", timeout=600)


def _serve_and_run(fixtures: FixtureSet, path: Path, stack: str) -> tuple[int, str]:
    workdir = path.parent / stack
    workdir.mkdir()
    with serve(workdir, *fixtures.serve_args(path, TOKEN), "--stack", stack, "--quiet") as server:
        return run_suite(f"{server.base}/api/train_sessions")


@settings(
    max_examples=SETS_PER_VIEW,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.generate],  # a failure is reported with its fixture file, not shrunk for minutes
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@pytest.mark.process
@pytest.mark.slow
@pytest.mark.parametrize("view", VIEWS)
@given(data=st.data())
def test_whole_suite_passes_on_generated_data(
    view: str, data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Check that the mock passes the whole contract suite in every generation over a generated
    adversarial fixture set, read through an account holding many, one or no records."""
    drawn = data.draw(fixture_sets(view), label="fixture set")
    workdir = tmp_path_factory.mktemp("adversarial")
    path = drawn.write(workdir / "fixtures.json")
    note(f"{drawn.describe()}; fixtures in {path}")
    stacks = [s.name for s in STACKS]
    with ThreadPoolExecutor(PARALLEL) as pool:
        results = dict(zip(stacks, pool.map(lambda s: _serve_and_run(drawn, path, s), stacks), strict=True))
    failed = {
        stack: output
        for stack, (code, output) in results.items()
        if code != 0 or f"contract: generation {stack} (auto" not in output
    }
    assert not failed, "\n\n".join(
        f"{stack} over {path} ({drawn.describe()}):\n{output[-3000:]}" for stack, output in failed.items()
    )
