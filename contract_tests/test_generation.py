"""The behaviours that tell Rails/Ransack generations apart, each asserted for the generation
the run is about (``--stack NAME``, or the one ``auto`` fingerprinted).

One test per observable quirk of ``schemas/stacks.json``, so a run told the wrong generation
fails naming each behaviour that differs; then the exact answers where the quirk changes
rows (an embedded NUL, ``_i_cont``, an out-of-range integer).
"""

from __future__ import annotations

import pytest

from . import generation as generations
from .checks import ContractViolationError, Dataset, check_rails_error, check_result
from .client import Client, Query
from .fingerprint import PROBES, Observation
from .generation import Generation
from .oracle import INT4, Expectation, condition, expect, pg_lower

OBSERVED = tuple(p.quirk for p in PROBES)  # one test per quirk the fingerprint observes


@pytest.fixture(scope="module")
def observations(client: Client, dataset: Dataset) -> dict[str, Observation]:
    """The fingerprint's observations (answered from the client's cache after an auto run)."""
    return {o.quirk: o for o in generations.observe(client, dataset.response)}


@pytest.mark.parametrize("quirk", OBSERVED)
def test_generation_behaviour(
    quirk: str, observations: dict[str, Observation], generation: Generation
) -> None:
    """Check that the endpoint shows the behaviour the asserted generation has (old or today's)."""
    seen = observations.get(quirk)
    if seen is None or seen.present is None:
        return  # the data or the answer could not tell; the exact tests below still run
    expected = generation.has(quirk)
    if seen.present != expected:
        raise ContractViolationError(
            f"{quirk}: {generation.name} answers differently than this endpoint",
            f"the endpoint answered {seen.evidence}: {generations.describe(quirk, seen.present)}\n"
            f"{generation.name} would answer: {generations.describe(quirk, expected)}",
            seen.responses,
            "one generation's semantics everywhere (--stack NAME, or auto to fingerprint)",
        )


def test_embedded_nul(client: Client, dataset: Dataset, generation: Generation) -> None:
    """Check full_name_cont=a%00b: a 500 with pg >= 1.1; with pg < 1.1 libpq stops at the NUL, so
    it is ILIKE '%a' (names that end in "a")."""
    query = Query.of(("full_name_cont", "a\x00b"))
    response = client.index(query)
    if not generation.has("nul_truncates"):
        why = "an embedded NUL is ArgumentError in pg >= 1.1 (ruby-pg@55ece45)"
        check_rails_error(response, 500, why, dataset.rules)
        return
    ends = frozenset(r["id"] for r in dataset.records if pg_lower(r.get("full_name") or "").endswith("a"))
    check_result(response, dataset, Expectation(ends, ends, ()), f"{query} (pg < 1.1: ILIKE '%a')")


def test_i_cont(client: Client, dataset: Dataset, generation: Generation) -> None:
    """Check full_name_i_cont: an ignored key on Ransack 1.6-2.3.0, ILIKE on the downcased value
    after (stripped from Ransack 2.4 on), with a value taken from the data as it is."""
    for value in ("zzqqnomatch", (dataset.values("full_name") or ["a"])[0][:3]):
        query = Query.of(("full_name_i_cont", value))
        cond = condition("full_name_i_cont", value, dataset.rules)
        why = "not a predicate before Ransack 2.3.1" if generation.has("i_cont_ignored") else cond.explain()
        check_result(client.index(query), dataset, expect(dataset.records, [cond]), f"{query} ({why})")


@pytest.mark.parametrize("value", ["2147483648", "-2147483649", "99999999999999999999"])
def test_out_of_range_integer(value: str, client: Client, dataset: Dataset, generation: Generation) -> None:
    """Check score_eq and score_lt with an out-of-int4 value: compared as a number on Ransack 4,
    a 500 before it (Arel's Casted node raises RangeError)."""
    eq = Query.of(("score_eq", value))
    check_result(
        client.index(eq), dataset, expect(dataset.records, [condition("score_eq", value, dataset.rules)]), eq
    )
    lt = Query.of(("score_lt", value))
    response = client.index(lt)
    if generation.has("casted_overflow_500"):
        check_rails_error(response, 500, f"{lt}: RangeError before Ransack 4.0", dataset.rules)
        return
    below = condition("score_eq", value, dataset.rules).operand > INT4[1]
    hits = frozenset(r["id"] for r in dataset.records if r.get("score") is not None and below)
    check_result(response, dataset, Expectation(hits, hits, ()), f"{lt} (a plain number comparison)")
