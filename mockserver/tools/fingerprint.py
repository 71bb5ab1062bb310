"""Which stack generation an endpoint runs, for ``mockserver probe``: the contract suite's
fingerprint (``contract_tests/fingerprint.py``, the one table of probes), sent through probe's
asynchronous client, ranked by the suite's ``generation.rank`` and reported as text or JSON.

Probes that can make some generation log a 500 (an out-of-range integer, invalid UTF-8, an
embedded NUL) are sent only when the caller allows errors. Generations are ranked by agreeing
observations, then by fewest unknowns (the quirks a generation has that were not observed: an
unverified assumption).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from mockserver.stacks import QUIRKS
from mockserver.tools.suite import suite_module
from mockserver.tools.upstream import Answer

suite_fingerprint = suite_module("fingerprint")  # light: the table and the oracle's rules


@functools.cache
def suite_generation() -> ModuleType:
    """The suite's generation table and ranking (it reads schemas/, so loaded when first ranked)."""
    return suite_module("generation")


LABELS: tuple[str, ...] = suite_fingerprint.LABELS  # every GET the fingerprint may send
ERROR_LABELS: tuple[str, ...] = suite_fingerprint.ERROR_LABELS  # those that may cause a 500
JSON_ACCEPT = {"Accept": "application/json"}

Get = Callable[..., Awaitable[Answer]]
Observation = Any  # the suite's fingerprint.Observation: quirk, present, evidence
Ranked = Any  # the suite's generation.Ranked: generation, agree, disagree, unknown, consistent


@dataclass(frozen=True)
class Pagination:
    """The api-pagination gem's headers on the unfiltered index (``serve --paginate``)."""

    per_page: str | None
    total: str | None
    link: str | None


def pagination_of(baseline: Answer) -> Pagination | None:
    """The pagination headers, or None when the index is not paginated."""
    found = Pagination(baseline.header("per-page"), baseline.header("total"), baseline.header("link"))
    return found if any((found.per_page, found.total, found.link)) else None


async def observe(get: Get, index: Answer, token: str, allow_errors: bool) -> list[Observation]:
    """Every observation the data allows: the suite's probes, each sent as one labelled GET."""
    records = index.json()
    baseline = suite_fingerprint.Baseline(
        index.status, index.header, index.body, records if isinstance(records, list) else []
    )
    out = []
    for probe, request in suite_fingerprint.plan(baseline, allow_errors):
        answer = None
        if request is not None:
            auth = request.authorization(token)
            answer = await get(
                probe.label,
                target=request.suffix,
                query=request.query,
                auth=False if auth is None else auth,
                headers={"Accept": request.accept},
            )
        out.append(probe.observe(answer, baseline))
    return out


def rank(observations: list[Observation]) -> list[Ranked]:
    """Every generation scored against the observations, best first."""
    ranked: list[Ranked] = suite_generation().rank(observations)
    return ranked


def unobserved(observations: list[Observation]) -> list[str]:
    """The quirks no probe could tell (never probed, or an answer that fit neither side)."""
    known = {o.quirk for o in observations if o.present is not None}
    return [str(q) for q in QUIRKS if str(q) not in known]


def _disagree(ranked: Ranked) -> list[str]:
    return [o.quirk for o in ranked.disagree]


def as_json(observations: list[Observation], ranking: list[Ranked]) -> dict[str, Any]:
    """The fingerprint part of ``probe --json``: ``stacks`` lists the consistent ones, best first."""
    return {
        "stacks": [r.generation.name for r in ranking if r.consistent],
        "generations": [
            {
                "name": r.generation.name,
                "consistent": r.consistent,
                "agree": r.agree,
                "disagree": _disagree(r),
                "unknown": r.unknown,
            }
            for r in ranking
        ],
        "observations": [
            {"quirk": o.quirk, "present": o.present, "evidence": o.evidence} for o in observations
        ],
        "unobserved": unobserved(observations),
    }


def render(observations: list[Observation], ranking: list[Ranked], allow_errors: bool) -> str:
    """The fingerprint part of the probe's text report."""
    lines = [
        "",
        "generation fingerprint (old: an older Rails/Ransack's answer; modern: Rails 6.1 + Ransack 4.1's):",
    ]
    for o in observations:
        state = "unknown" if o.present is None else "old" if o.present else "modern"
        lines.append(f"  {o.quirk:<24} {state:<8} {o.evidence}")
    lines.append("generations, best first:")
    for r in ranking:
        verdict = "consistent" if r.consistent else "conflicts on " + ", ".join(_disagree(r))
        lines.append(f"  {r.generation.name:<21} {r.agree} agree, {r.unknown} unknown: {verdict}")
    consistent = [r for r in ranking if r.consistent]
    if consistent:
        lines.append(f"use: mockserver serve --stack {consistent[0].generation.name}")
        if len(consistent) > 1 and not allow_errors:
            lines.append(
                "  (" + ", ".join(r.generation.name for r in consistent) + " differ only in answers "
                "that may log a 500 on the endpoint: --allow-errors tells them apart)"
            )
    else:
        lines.append("no generation answers like this: the endpoint mixes generations (see the conflicts)")
    return "\n".join(lines)
