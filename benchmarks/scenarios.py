"""The benchmark's scenarios: which URLs to load, derived from a record fetched by id so they
hit real data whatever the generator draws, in one spelling or in many."""

from __future__ import annotations

import json
import random
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from .ceiling import write_bodies
from .loadgen import Measurement

INDEX = "/api/train_sessions"
FILTERED = ("eq", "cont", "range")
VARIANTS = 8192  # distinct spellings per "distinct" scenario: twice the mock's query memo


@dataclass
class Scenario:
    """One URL (or one query in many spellings) to load.

    ``repeated`` sends the same bytes every time, so after the first request the mock answers
    from its per-query memo; ``distinct`` cycles through VARIANTS spellings of the same query
    (some characters percent-encoded), each new to a memo of half that size, so every request
    parses, compiles and searches. Both answer the same rows, and the ceiling the same bytes.
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


def _sample_record(base: str, size: int) -> dict[str, Any]:
    """A record from the middle of the id range with a name, a due date and a completion date."""
    for ident in range(max(1, size // 2), size + 1):
        status, body = fetch(base, f"{INDEX}/{ident}")
        if status == 200:
            record: dict[str, Any] = json.loads(body)
            if record["complete_by"] and record["completion_date"]:
                return record
    raise RuntimeError(f"no record with complete_by and completion_date above id {size // 2}")


def spellings(target: str, count: int, rng: random.Random) -> list[str]:
    """``count`` distinct spellings of ``target``'s query, equal once Rack has decoded them."""
    path, _, query = target.partition("?")
    escaped = {i + k for i, c in enumerate(query) if c == "%" for k in range(3)}
    spots = [i for i, c in enumerate(query) if (c.isalnum() or c in "-_.") and i not in escaped]
    if 2 ** len(spots) < count:
        raise RuntimeError(f"{target} cannot be spelled {count} ways")
    found = {target}
    out = [target]
    while len(out) < count:
        chars = list(query)
        for i in rng.sample(spots, rng.randint(1, len(spots))):
            chars[i] = f"%{ord(chars[i]):02X}"
        spelled = f"{path}?{''.join(chars)}"
        if spelled not in found:
            found.add(spelled)
            out.append(spelled)
    return out


def build_scenarios(
    base: str, size: int, kinds: Sequence[str], modes: Sequence[str] = ("repeated", "distinct")
) -> list[Scenario]:
    """The scenario targets over this server's data, with rows and bytes of the mock's answer;
    filtered kinds once per mode in ``modes``."""
    record = _sample_record(base, size)
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
        status, body = fetch(base, targets[kind])
        if status != 200:
            raise RuntimeError(f"{targets[kind]} answered {status}: {body[:200]!r}")
        rows = 1 if kind == "show" else len(json.loads(body))
        if kind not in FILTERED:
            scenarios.append(Scenario(kind, size, targets[kind], rows, len(body), targets=[targets[kind]]))
            continue
        for mode in modes:
            sent = (
                [targets[kind]]
                if mode == "repeated"
                else spellings(targets[kind], VARIANTS, random.Random(size))
            )
            for probe in random.Random(1).sample(sent, min(3, len(sent))):
                if fetch(base, probe)[1] != body:
                    raise RuntimeError(f"{probe} does not answer what {targets[kind]} does")
            scenarios.append(Scenario(kind, size, targets[kind], rows, len(body), mode, sent))
    return scenarios


def record_bodies(base: str, scenarios: Sequence[Scenario], directory: Path) -> None:
    """What the ceiling answers: the mock's body for every target a scenario sends."""
    bodies: dict[str, bytes] = {}
    for scenario in scenarios:
        body = fetch(base, scenario.target)[1]
        bodies.update(dict.fromkeys(scenario.targets, body))
    write_bodies(directory, bodies)
