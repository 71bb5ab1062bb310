"""The benchmark's scenarios: which URLs to load, drawn from the served records so they hit
real data whatever the generator draws: one URL, or many different searches of one kind."""

from __future__ import annotations

import json
import random
import statistics
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from .ceiling import write_bodies
from .loadgen import Measurement
from .values import distinct_targets

INDEX = "/api/train_sessions"
FILTERED = ("eq", "cont", "range")
DISTINCT = 60_000  # searches per "distinct" scenario: more than its runs send to one server
CEILING_BODIES = 64  # the ceiling answers a distinct scenario's targets with these, in turn
DISTINCT_PREMISE = 0.9  # a distinct run's searches per request, at least
REPEATED_PREMISE = 0.05  # a repeated run's, at most


@dataclass
class Scenario:
    """One URL, or many different searches of one kind, to load.

    ``repeated`` sends the same bytes every time, so after the first request the mock answers
    from its cache; ``distinct`` sends up to DISTINCT different searches drawn from the data
    (``values.py``), each run starting where the last one on that server stopped, so every
    request parses, compiles and searches. The ceiling answers a distinct scenario's targets
    with CEILING_BODIES of the mock's answers in turn (``rows`` and ``body_bytes`` are their
    means). ``premise``: searches per request in each measured mock run.
    """

    kind: str  # show, full, eq, cont, range
    size: int
    target: str  # raw path and query
    rows: int
    body_bytes: int
    mode: str = "single"  # single (show, full), repeated or distinct
    targets: list[str] = field(default_factory=list)  # what is sent, round robin
    mock: Measurement | None = None  # --quiet
    ceiling: Measurement | None = None
    default: Measurement | None = None  # the default configuration: access log on
    rounds: dict[str, list[float]] = field(default_factory=dict)  # requests/s of every run
    cpu_us: dict[str, float] = field(default_factory=dict)  # server CPU per request, least of runs
    premise: dict[str, list[float]] = field(default_factory=dict)  # searches per request, per run

    @property
    def premise_ok(self) -> bool | None:
        runs = [r for values in self.premise.values() for r in values]
        if not runs or self.mode == "single":
            return None
        if self.mode == "distinct":
            return min(runs) >= DISTINCT_PREMISE
        return max(runs) <= REPEATED_PREMISE

    @property
    def ratio(self) -> float | None:
        if self.mock is None or self.ceiling is None or not self.ceiling.rps:
            return None
        return self.mock.rps / self.ceiling.rps

    @property
    def default_ratio(self) -> float | None:
        """Default configuration over --quiet: what the access log costs."""
        if self.mock is None or self.default is None or not self.mock.rps:
            return None
        return self.default.rps / self.mock.rps

    @property
    def default_cpu_ratio(self) -> float | None:
        """--quiet's CPU per request over the default configuration's: the same ratio, measured
        in a way other load on the machine disturbs less."""
        quiet, default = self.cpu_us.get("mock"), self.cpu_us.get("default")
        return quiet / default if quiet and default else None

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k not in ("mock", "ceiling", "default", "targets")}
        out["distinct_targets"] = len(self.targets)
        out["mock"] = self.mock.as_dict() if self.mock else None
        out["ceiling"] = self.ceiling.as_dict() if self.ceiling else None
        out["ratio"] = self.ratio
        out["default"] = self.default.as_dict() if self.default else None
        out["default_ratio"] = self.default_ratio
        out["default_cpu_ratio"] = self.default_cpu_ratio
        return out


def fetch(base: str, target: str, timeout: float = 120.0) -> tuple[int, bytes]:
    request = urllib.request.Request(base + target)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _records(base: str, size: int, sample: int | None = None) -> list[dict[str, Any]]:
    """The served records: the whole index, or ``sample`` fetched by random id (a million
    records' index is too large to fetch for this)."""
    if sample is None:
        status, body = fetch(base, INDEX)
        if status != 200:
            raise RuntimeError(f"{INDEX} answered {status}")
        records: list[dict[str, Any]] = json.loads(body)
        return records
    rng = random.Random(size)
    out = []
    for ident in rng.sample(range(1, size + 1), min(sample, size)):
        status, body = fetch(base, f"{INDEX}/{ident}")
        if status == 200:
            out.append(json.loads(body))
    return out


def _sample_record(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A record from the middle with a name, a due date and a completion date."""
    for record in records[len(records) // 2 :]:
        if record["complete_by"] and record["completion_date"]:
            return record
    raise RuntimeError("no record with complete_by and completion_date in the second half")


def build_scenarios(
    base: str,
    size: int,
    kinds: Sequence[str],
    modes: Sequence[str] = ("repeated", "distinct"),
    sample: int | None = None,
    floors: bool = True,
) -> list[Scenario]:
    """The scenario targets over this server's data, with rows and bytes of the mock's answer;
    filtered kinds once per mode in ``modes``."""
    records = _records(base, size, sample)
    record = _sample_record(records)
    start = date.fromisoformat(record["completion_date"])
    targets = {
        "show": f"{INDEX}/{record['id']}",
        "full": INDEX,
        "eq": f"{INDEX}?complete_by_eq={record['complete_by']}",
        "cont": f"{INDEX}?full_name_cont={quote_plus(record['full_name'].lower())}",
        "range": (
            f"{INDEX}?completion_date_gteq={start.isoformat()}"
            f"&completion_date_lteq={(start + timedelta(days=6)).isoformat()}"
        ),
    }
    scenarios = []
    for kind in kinds:
        if kind not in FILTERED:
            status, body = fetch(base, targets[kind])
            if status != 200:
                raise RuntimeError(f"{targets[kind]} answered {status}: {body[:200]!r}")
            rows = 1 if kind == "show" else len(json.loads(body))
            scenarios.append(Scenario(kind, size, targets[kind], rows, len(body), targets=[targets[kind]]))
            continue
        for mode in modes:
            sent = (
                [targets[kind]]
                if mode == "repeated"
                else distinct_targets(kind, records, DISTINCT, random.Random(size), floors)
            )
            bodies = [fetch(base, t) for t in sent[:CEILING_BODIES]]
            if any(status != 200 for status, _ in bodies):
                raise RuntimeError(f"a {kind} target did not answer 200: {sent[:3]}")
            rows = round(statistics.mean(len(json.loads(b)) for _, b in bodies))
            size_bytes = round(statistics.mean(len(b) for _, b in bodies))
            scenarios.append(Scenario(kind, size, sent[0], rows, size_bytes, mode, sent))
    return scenarios


def record_bodies(base: str, scenarios: Sequence[Scenario], directory: Path) -> None:
    """What the ceiling answers: the mock's body for each target, or for a distinct scenario's
    many targets CEILING_BODIES of its answers in turn (fetched while building, so cached)."""
    bodies: dict[str, bytes] = {}
    for scenario in scenarios:
        sample = [fetch(base, t)[1] for t in scenario.targets[:CEILING_BODIES]]
        for n, target in enumerate(scenario.targets):
            bodies[target] = sample[n % len(sample)]
    write_bodies(directory, bodies)
