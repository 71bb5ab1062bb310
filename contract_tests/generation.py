"""Which Rails/Ransack generation the suite asserts: told (``--stack NAME``) or fingerprinted.

The generations and their quirks come from ``schemas/stacks.json`` (generated from the mock's
table, read here as data: the suite imports nothing from the mock). The fingerprint is the
suite's own (``fingerprint.py``, which ``mockserver probe`` runs too): about twelve read-only
GETs (``docs/mock/stack-generations.md``), each observing one quirk as present (the old behaviour),
absent (today's) or unknown. ``auto`` picks the generation that
agrees with every observation, preferring the one assuming the fewest unobserved quirks; when
none agrees, the endpoint mixes generations and the run fails naming the conflicts.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

from . import fingerprint
from .checks import ContractViolationError, schemas_dir
from .client import Client, Response
from .fingerprint import Observation
from .oracle import Rules

AUTO = "auto"
STACKS_FILE = "stacks.json"


@dataclass(frozen=True)
class Generation:
    """One stack generation: its name and the quirks (old behaviours) it has."""

    name: str
    quirks: frozenset[str]

    def has(self, quirk: str) -> bool:
        return quirk in self.quirks

    @property
    def rules(self) -> Rules:
        """What the oracle and the checks assert on this generation."""
        return Rules(
            strip=not self.has("no_strip"),
            i_cont=not self.has("i_cont_ignored"),
            underscore_wildcard=self.has("underscore_wildcard"),
            overflow_500=self.has("casted_overflow_500"),
            invalid_utf8_500=self.has("invalid_utf8_500"),
            string_error_status=self.has("string_error_status"),
            strict_token_scheme=self.has("strict_token_scheme"),
            unauthorized_as_format=self.has("unauthorized_as_format"),
            bad_accept_ignored=self.has("bad_accept_ignored"),
        )


@functools.cache
def _table() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((schemas_dir() / STACKS_FILE).read_text(encoding="utf-8"))
    return data


def generations() -> tuple[Generation, ...]:
    """Every generation, the default (today's stack) first."""
    return tuple(Generation(s["name"], frozenset(s["quirks"])) for s in _table()["stacks"])


def describe(quirk: str, present: bool) -> str:
    """The behaviour a quirk's presence or absence means, as stacks.json words it."""
    info = _table()["quirks"][quirk]
    return f"{info['old'] if present else info['modern']} ({info['changed_in']})"


def generation_named(name: str) -> Generation:
    """The generation called ``name``; ValueError listing the valid names otherwise."""
    for generation in generations():
        if generation.name == name:
            return generation
    names = ", ".join([AUTO, *(g.name for g in generations())])
    raise ValueError(f"--stack {name!r}: unknown generation; one of: {names}")


# --- the fingerprint (its probes are fingerprint.PROBES) ---------------------------------------


def baseline_of(index: Response) -> fingerprint.Baseline:
    """The unfiltered index as the fingerprint reads it (the ETag is the first page's)."""
    try:
        body = index.json() if index.status == 200 else []
    except ValueError:
        body = []
    page = (index.pages[0] if index.pages else index).body
    records = body if isinstance(body, list) else []
    return fingerprint.Baseline(index.status, index.header, page, records, index)


def observe(client: Client, index: Response) -> list[Observation]:
    """Every quirk the fingerprint can observe on this data, from the unfiltered ``index``."""
    baseline = baseline_of(index)
    out = []
    for probe, request in fingerprint.plan(baseline):
        answer = None
        if request is not None:
            accept = {} if request.accept == fingerprint.JSON else {"Accept": request.accept}
            authorization = request.authorization(client.token)
            answer = client.index(
                request.query, suffix=request.suffix, authorization=authorization, headers=accept
            )
        out.append(probe.observe(answer, baseline))
    return out


@dataclass(frozen=True)
class Ranked:
    """One generation scored against the observations."""

    generation: Generation
    disagree: tuple[Observation, ...]
    unknown: int  # quirks it has that nothing observed: unverified assumptions
    agree: int = 0

    @property
    def consistent(self) -> bool:
        return not self.disagree


def rank(observations: list[Observation]) -> list[Ranked]:
    """Every generation, best first: fewest disagreements, then fewest unobserved quirks."""
    known = [o for o in observations if o.present is not None]
    seen = {o.quirk for o in known}
    ranked = []
    for g in generations():
        disagree = tuple(o for o in known if g.has(o.quirk) != o.present)
        ranked.append(Ranked(g, disagree, len(g.quirks - seen), len(known) - len(disagree)))
    return sorted(ranked, key=lambda r: (len(r.disagree), r.unknown))  # stable: table order breaks ties


def mixed_message(ranking: list[Ranked]) -> str:
    """Why no generation fits: the nearest one's conflicting behaviours, as observed."""
    nearest = ranking[0]
    lines = [f"nearest generation {nearest.generation.name} conflicts on:"]
    for o in nearest.disagree:
        lines.append(
            f"  {o.quirk}: the endpoint answered {o.evidence}, i.e. {describe(o.quirk, bool(o.present))}; "
            f"{nearest.generation.name} would answer {describe(o.quirk, not o.present)}"
        )
    return "\n".join(lines)


def choose(observations: list[Observation]) -> Generation:
    """The generation every observation agrees with; ContractViolationError when none does."""
    ranking = rank(observations)
    if not ranking[0].disagree:
        return ranking[0].generation
    raise ContractViolationError(
        "the endpoint's answers mix Rails/Ransack generations: no single generation answers like this",
        mixed_message(ranking),
        [r for o in ranking[0].disagree for r in o.responses],
        "one endpoint runs one stack; pass --stack NAME to assert one generation anyway",
    )
