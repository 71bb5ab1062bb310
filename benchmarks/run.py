"""The benchmark run: phases, scenarios, targets, the table and ``results/latest.json``.

Phases, each bounded:

1. start-up: ``serve --seed --count`` for 1,000 / 100,000 / 1,000,000 records, cold (a fresh
   dataset cache: Faker runs) and warm (cache hit); seconds to "listening" and VmRSS.
2. latency over 1,000,000 records (on the warm server phase 1 left running): show and the
   filtered queries, one connection, p50 and p99.
3. throughput over 1,000 and 100,000 records: show, full index, ``_eq``, ``_cont``, a date
   range; the mock and the ceiling (same bytes, no work) in alternating runs, best of each.
4. ``--workers 2`` against 1 on the 1,000-record show and full index.
5. the contract suite against a running mock: requests per second (each example sends at
   least one request, so this bounds examples per second from below).

Each scenario's query is drawn from the served records, so it hits real data whatever the
generator draws; the table shows how many rows and bytes it answers. Every mock run reads the
server's health counters around it and checks the scenario's premise (``values.py``): a
*distinct* scenario runs about one search per request, a *repeated* one almost none.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from . import loadgen
from .ceiling import write_bodies
from .jsonserver import json_server_lines, phase_json_server
from .loadgen import Measurement
from .servers import Server, ServerError, start_ceiling, start_default_mock, start_mock
from .values import counters, distinct_targets, searches_per_request
from .worst import phase_worst, worst_lines

RESULTS = Path(__file__).parent / "results"
ROOT = Path(__file__).parent.parent
INDEX = "/api/train_sessions"
SEED = 2015

# (name, target) per scenario kind; the ratio targets of issue 5.
SHOW_FULL_RATIO = 0.8
FILTERED_RATIO = 0.5
MILLION_P50_MS = 50.0  # "well under 100 ms": half of it
DEFAULT_RATIO = 0.9  # the default configuration (access log on) against --quiet (issue 8)


FILTERED = ("eq", "cont", "range")
DISTINCT = 60_000  # searches per "distinct" scenario: more than its runs send to one server
CEILING_BODIES = 64  # the ceiling answers a distinct scenario's targets with these, in turn
DISTINCT_PREMISE = 0.9  # a distinct run's searches per request, at least
REPEATED_PREMISE = 0.05  # a repeated run's, at most


@dataclass
class Scenario:
    """One URL (or one query in many spellings) to load.

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


@dataclass
class Report:
    meta: dict[str, Any]
    startup: list[dict[str, Any]] = field(default_factory=list)
    scenarios: list[Scenario] = field(default_factory=list)
    million: list[Scenario] = field(default_factory=list)
    worst: list[dict[str, Any]] = field(default_factory=list)
    json_server: dict[str, Any] = field(default_factory=dict)
    workers: list[dict[str, Any]] = field(default_factory=list)
    contract: dict[str, Any] = field(default_factory=dict)
    targets: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "meta": self.meta,
            "startup": self.startup,
            "scenarios": [s.as_dict() for s in self.scenarios],
            "million": [s.as_dict() for s in self.million],
            "worst": self.worst,
            "json_server": self.json_server,
            "workers": self.workers,
            "contract": self.contract,
            "targets": self.targets,
        }


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- scenarios ---------------------------------------------------------------------------------


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


# --- phases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    seconds: float
    warmup: float
    rounds: int
    connections: int
    tool: str
    sizes: tuple[int, ...]
    startup_sizes: tuple[int, ...]
    million: int | None
    workers: bool
    contract: bool
    kinds: tuple[str, ...] = ("show", "full", "eq", "cont", "range")


def _measure(
    server: Server,
    scenario: Scenario,
    options: Options,
    work: Path,
    connections: int | None = None,
    warmup: bool = True,
    offset: int = 0,
) -> Measurement:
    """Load ``server`` with the scenario's targets, starting at ``offset`` (round robin)."""
    conns = connections or options.connections
    seconds = ([options.warmup] if options.warmup and warmup else []) + [options.seconds]
    results = []
    for n in seconds:
        at = offset % len(scenario.targets)
        targets = scenario.targets[at:] + scenario.targets[:at]
        paths = work / f"paths-{scenario.size}-{scenario.kind}-{scenario.mode}-{at}.txt"
        results.append(
            loadgen.measure(
                server.base, targets, seconds=n, connections=conns, tool=options.tool, paths_file=paths
            )
        )
        offset += results[-1].requests
    return results[-1]


def _side_by_side(
    scenario: Scenario,
    mock: Server,
    ceiling: Server,
    options: Options,
    work: Path,
    default: Server | None = None,
) -> None:
    """Alternate mock (--quiet), default-configuration and ceiling runs; keep each one's best
    (the run least disturbed by whatever else the machine was doing)."""
    servers = [("mock", mock), ("ceiling", ceiling)] + ([("default", default)] if default else [])
    runs: dict[str, list[Measurement]] = {name: [] for name, _ in servers}
    cpu: dict[str, list[float]] = {name: [] for name, _ in servers}
    sent = {name: 0 for name, _ in servers}  # where each server's next run starts in the targets
    for n in range(options.rounds):
        for name, server in servers:
            if n == 0 and options.warmup:  # unmeasured, so CPU is read around the measured run only
                warm = _measure(
                    server, scenario, replace(options, seconds=options.warmup), work, False, False, sent[name]
                )
                sent[name] += warm.requests
            mock = name != "ceiling"
            health = counters(server.base) if mock else None
            before = server.cpu_seconds()
            measured = _measure(server, scenario, options, work, warmup=False, offset=sent[name])
            after = server.cpu_seconds()
            sent[name] += measured.requests
            runs[name].append(measured)
            if (
                health is not None
                and (ratio := searches_per_request(health, counters(server.base))) is not None
            ):
                scenario.premise.setdefault(name, []).append(round(ratio, 3))
            if before is not None and after is not None and measured.requests:
                cpu[name].append((after - before) / measured.requests * 1e6)
    scenario.cpu_us = {name: round(min(values), 2) for name, values in cpu.items() if values}
    scenario.mock = max(runs["mock"], key=lambda m: m.rps)
    scenario.ceiling = max(runs["ceiling"], key=lambda m: m.rps)
    if default is not None:
        scenario.default = max(runs["default"], key=lambda m: m.rps)
    scenario.rounds = {name: [round(m.rps, 1) for m in ms] for name, ms in runs.items()}


def phase_startup(
    report: Report, options: Options, work: Path, keep: int | None = None
) -> tuple[dict[int, Path], Server | None]:
    """Cold and warm start-up per size; returns the warm cache directory of each size and,
    when ``keep`` is one of the sizes, its warm server still running (the caller stops it)."""
    caches: dict[int, Path] = {}
    kept: Server | None = None
    for size in options.startup_sizes:
        cache = work / f"cache-{size}"
        row: dict[str, Any] = {"records": size}
        for label in ("cold", "warm"):
            server = start_mock(
                SEED, size, cache_dir=cache, timeout=600, log=work / f"startup-{size}-{label}.log"
            )
            row[f"{label}_s"] = server.startup_s
            row[f"{label}_rss_mib"] = server.rss_mib()
            say(
                f"  start-up {size:>9,} records {label}: {server.startup_s:6.2f} s, "
                f"VmRSS {row[f'{label}_rss_mib']:,.0f} MiB"
            )
            if label == "warm" and size == keep:
                kept = server
            else:
                server.stop()
        report.startup.append(row)
        caches[size] = cache
    return caches, kept


def phase_throughput(report: Report, options: Options, work: Path, caches: dict[int, Path]) -> None:
    for size in options.sizes:
        cache = caches.get(size, work / f"cache-{size}")
        with start_mock(SEED, size, cache_dir=cache, log=work / f"mock-{size}.log", timeout=600) as mock:
            scenarios = build_scenarios(mock.base, size, options.kinds)
            bodies = work / f"bodies-{size}"
            record_bodies(mock.base, scenarios, bodies)
            with (
                start_ceiling(bodies, log=work / f"ceiling-{size}.log") as ceiling,
                start_mock(
                    SEED, size, cache_dir=cache, log=work / f"default-{size}.log", timeout=600, quiet=False
                ) as default,
            ):
                for scenario in scenarios:
                    _side_by_side(scenario, mock, ceiling, options, work, default)
                    assert scenario.mock is not None and scenario.ceiling is not None
                    say(
                        f"  {size:>7,} {scenario.kind:<6} {scenario.mode:<8} "
                        f"mock {scenario.mock.rps:9,.0f}/s  "
                        f"ceiling {scenario.ceiling.rps:9,.0f}/s  ratio {scenario.ratio:.2f}  "
                        f"default {_fmt(scenario.default.rps if scenario.default else None, '9,.0f')}/s  "
                        f"default/quiet {_fmt(scenario.default_ratio, '.2f')} "
                        f"(by CPU per request {_fmt(scenario.default_cpu_ratio, '.2f')})  "
                        f"searches/request {scenario.premise}"
                    )
        report.scenarios.extend(scenarios)


def phase_million(
    report: Report, options: Options, work: Path, caches: dict[int, Path], running: Server | None
) -> None:
    """Unloaded latency (one connection) of the filtered queries over a million records."""
    assert options.million is not None
    size = options.million
    cache = caches.get(size, work / f"cache-{size}")
    mock = running or start_mock(SEED, size, cache_dir=cache, log=work / f"mock-{size}.log", timeout=600)
    with mock:
        scenarios = build_scenarios(
            mock.base, size, ("show", "eq", "cont", "range"), modes=("distinct",), sample=600
        )
        for scenario in scenarios:
            health = counters(mock.base)
            scenario.mock = _measure(mock, scenario, options, work, connections=1, warmup=False)
            if (ratio := searches_per_request(health, counters(mock.base))) is not None:
                scenario.premise["mock"] = [round(ratio, 3)]
            say(
                f"  {size:>9,} {scenario.kind:<6} p50 {scenario.mock.p50_ms:7.2f} ms  "
                f"p99 {scenario.mock.p99_ms:7.2f} ms  ({scenario.rows} rows, "
                f"{len(scenario.targets)} targets, searches/request {scenario.premise.get('mock')})"
            )
    report.million.extend(scenarios)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def phase_workers(report: Report, options: Options, work: Path) -> None:
    size = 1000
    results: dict[int, dict[str, Measurement]] = {}
    for workers in (1, 2):
        port = _free_port() if workers > 1 else 0
        with start_mock(
            SEED,
            size,
            cache_dir=work / "cache-workers",
            workers=workers,
            port=port,
            log=work / f"workers-{workers}.log",
        ) as mock:
            scenarios = build_scenarios(mock.base, size, ("show", "full"))
            results[workers] = {s.kind: _measure(mock, s, options, work) for s in scenarios}
    for kind in ("show", "full"):
        one, two = results[1][kind], results[2][kind]
        row = {
            "scenario": kind,
            "records": size,
            "rps_1": one.rps,
            "rps_2": two.rps,
            "scaling": two.rps / one.rps if one.rps else None,
            "p99_ms_1": one.p99_ms,
            "p99_ms_2": two.p99_ms,
        }
        report.workers.append(row)
        say(f"  workers {kind:<5} 1: {one.rps:9,.0f}/s  2: {two.rps:9,.0f}/s  x{row['scaling']:.2f}")


def _contract_tests() -> list[Path]:
    directory = ROOT / "contract_tests"
    return sorted(directory.glob("test_*.py")) if directory.is_dir() else []


def phase_contract(report: Report, options: Options, work: Path) -> None:
    """The contract suite against a running mock (default fixtures, dev token), one process.

    Its properties run inside the tests, so Hypothesis' own statistics do not see them; the
    suite's summary line gives the requests sent, and every example sends at least one, so
    requests per second is the measure (a lower bound on examples per second).
    """
    if not _contract_tests():
        report.contract = {"status": "pending: contract_tests/ holds no test module yet"}
        say(f"  contract suite: {report.contract['status']}")
        return
    with start_default_mock(log=work / "contract-mock.log") as mock:
        started = time.perf_counter()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "contract_tests",
                "-q",
                "-p",
                "no:xdist",
                "-p",
                "no:cacheprovider",
                f"--api-url={mock.base}",
                "--api-token=dev-token",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        elapsed = time.perf_counter() - started
    sent = re.search(r"contract: (\d+) requests sent", result.stdout)
    passed = re.search(r"(\d+) passed", result.stdout)
    requests = int(sent.group(1)) if sent else None
    report.contract = {
        "exit_code": result.returncode,
        "seconds": elapsed,
        "requests": requests,
        "tests_passed": int(passed.group(1)) if passed else None,
        "requests_per_s": requests / elapsed if requests else None,
        "summary": result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "",
    }
    rate = f"{requests / elapsed:,.0f} requests/s" if requests else "no request count"
    say(f"  contract suite: exit {result.returncode}, {elapsed:.1f} s, {requests} requests, {rate}")


# --- targets and output ------------------------------------------------------------------------


def evaluate(report: Report) -> None:
    """PASS/GAP per target; ratios measured with the Python load generator are not judged
    (the client, on the same cores, caps both servers alike and flatters the ratio)."""
    targets = report.targets
    rough = report.meta["tool"] != "wrk"
    for s in report.scenarios:
        if s.ratio is None:
            continue
        if s.kind in ("show", "full") and (s.kind == "show" or s.size <= 1000):
            goal = SHOW_FULL_RATIO
        elif s.kind in FILTERED and s.size >= 100_000 and s.mode == "distinct":
            goal = FILTERED_RATIO
        else:
            continue
        targets.append(
            {
                "target": f"{s.kind}{' (distinct)' if s.mode == 'distinct' else ''} over "
                f"{s.size:,} >= {goal} x ceiling",
                "measured": round(s.ratio, 3),
                "ok": None if rough else (s.ratio >= goal and s.mock is not None and s.mock.errors == 0),
            }
        )
    for s in report.scenarios:
        if s.default_ratio is None:
            continue
        label = s.kind if s.mode == "single" else f"{s.kind} {s.mode}"
        targets.append(
            {
                "target": f"default config {label} over {s.size:,} >= {DEFAULT_RATIO} x --quiet",
                "measured": round(s.default_ratio, 3),
                "ok": None if rough else s.default_ratio >= DEFAULT_RATIO,
            }
        )
    for s in [*report.scenarios, *report.million]:
        if s.premise_ok is None:
            continue
        runs = [r for values in s.premise.values() for r in values]
        bound = f">= {DISTINCT_PREMISE}" if s.mode == "distinct" else f"<= {REPEATED_PREMISE}"
        targets.append(
            {
                "target": f"premise: {s.kind} {s.mode} over {s.size:,}: searches/request {bound}",
                "measured": min(runs) if s.mode == "distinct" else max(runs),
                "ok": s.premise_ok,
            }
        )
    for s in report.million:
        if s.kind == "show" or s.mock is None:
            continue
        targets.append(
            {
                "target": f"{s.kind} (distinct) over {s.size:,}: p50 < {MILLION_P50_MS:g} ms",
                "measured": round(s.mock.p50_ms, 2),
                "ok": s.mock.p50_ms < MILLION_P50_MS and s.mock.errors == 0,
            }
        )


def _premise(s: Scenario) -> str:
    runs = [r for values in s.premise.values() for r in values]
    if not runs:
        return "-"
    verdict = {True: "", False: " FAILED", None: ""}[s.premise_ok]
    return f"{min(runs):.2f}-{max(runs):.2f}{verdict}"


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_table(report: Report) -> None:
    out: list[str] = []
    meta = report.meta
    out.append(
        f"\nmockserver benchmark  {meta['date']}  {meta['machine']}  load: {meta['tool']}, "
        f"{meta['connections']} connections, best of {meta['rounds']} x {meta['seconds']:g} s "
        f"runs; load average before: {meta['load_average'][0]:.1f}"
    )
    if report.startup:
        out.append("\nstart-up (spawn to listening) and resident memory")
        out.append(f"  {'records':>9}  {'cold s':>7}  {'warm s':>7}  {'cold MiB':>8}  {'warm MiB':>8}")
        for r in report.startup:
            out.append(
                f"  {r['records']:>9,}  {r['cold_s']:7.2f}  {r['warm_s']:7.2f}  "
                f"{_fmt(r['cold_rss_mib'], '8,.0f')}  {_fmt(r['warm_rss_mib'], '8,.0f')}"
            )
    if report.scenarios:
        out.append(
            "\nthroughput, mock vs ceiling (same bytes, no work); repeated: one URL, answered "
            "from the mock's cache; distinct: different searches drawn from the data, each run "
            "(premise: searches per request in each mock run, last column)"
        )
        out.append(
            f"  {'records':>7} {'scenario':<15} {'rows':>6} {'bytes':>9} | {'mock/s':>8} "
            f"{'p50 ms':>7} {'p99 ms':>7} | {'ceil/s':>8} {'p50 ms':>7} {'p99 ms':>7} | "
            f"{'ratio':>5} {'err':>3} | {'dflt/s':>8} {'dflt/quiet':>10} {'by CPU':>6} | premise"
        )
        for s in report.scenarios:
            m, c = s.mock, s.ceiling
            assert m is not None and c is not None
            label = s.kind if s.mode == "single" else f"{s.kind} {s.mode}"
            out.append(
                f"  {s.size:>7,} {label:<15} {s.rows:>6,} {s.body_bytes:>9,} | "
                f"{m.rps:>8,.0f} {m.p50_ms:>7.2f} {m.p99_ms:>7.2f} | {c.rps:>8,.0f} "
                f"{c.p50_ms:>7.2f} {c.p99_ms:>7.2f} | {_fmt(s.ratio, '5.2f')} "
                f"{m.errors + c.errors:>3} | {_fmt(s.default.rps if s.default else None, '8,.0f')} "
                f"{_fmt(s.default_ratio, '10.2f')} {_fmt(s.default_cpu_ratio, '6.2f')} | "
                f"{_premise(s)}"
            )
    if report.million:
        out.append(
            "\nlatency over 1,000,000 records (1 connection; each filter a different search from the data)"
        )
        for s in report.million:
            assert s.mock is not None
            out.append(
                f"  {s.kind:<6} {s.rows:>6,} rows {s.body_bytes:>10,} bytes  "
                f"p50 {s.mock.p50_ms:7.2f} ms  p99 {s.mock.p99_ms:7.2f} ms  "
                f"{s.mock.rps:7,.0f}/s  searches/request {_premise(s)}  e.g. {s.target}"
            )
    out += worst_lines(report.worst)
    out += json_server_lines(report.json_server)
    if report.workers:
        out.append("\n--workers 2 vs 1 (1,000 records; wrk shares the 2 cores)")
        for w in report.workers:
            out.append(
                f"  {w['scenario']:<6} 1 worker {w['rps_1']:>8,.0f}/s   2 workers "
                f"{w['rps_2']:>8,.0f}/s   x{_fmt(w['scaling'], '.2f')}"
            )
    if report.contract:
        contract = report.contract
        text = contract.get("status") or (
            f"exit {contract['exit_code']}, {contract['tests_passed']} tests, "
            f"{contract['requests']} requests in {contract['seconds']:.1f} s = "
            f"{_fmt(contract['requests_per_s'], ',.0f')} requests (>= examples)/s "
            "(pytest start-up included)"
        )
        out.append(f"\ncontract suite against the mock: {text}")
    if report.targets:
        out.append("\ntargets")
        for t in report.targets:
            verdict = {True: "PASS ", False: "GAP  ", None: "ROUGH"}[t["ok"]]
            out.append(f"  {verdict} {t['target']:<52} measured {t['measured']}")
    print("\n".join(out), flush=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=3, help="per measured run (default 3)")
    parser.add_argument(
        "--rounds", type=int, default=2, help="alternating mock/ceiling runs per scenario; the best counts"
    )
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured run before each (0: none)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--load-generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="auto: wrk, and fail with how to install it when missing",
    )
    parser.add_argument(
        "--quick", action="store_true", help="2 s runs, no 1,000,000-record phases (a smoke run)"
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=("startup", "throughput", "million", "worst", "json-server", "workers", "contract"),
    )
    parser.add_argument(
        "--scenario",
        dest="kinds",
        action="append",
        choices=("show", "full", "eq", "cont", "range"),
        help="throughput scenarios to run (repeatable; default: all)",
    )
    parser.add_argument(
        "--size",
        dest="sizes",
        action="append",
        type=int,
        help="throughput dataset sizes (repeatable; default: 1,000 and 100,000)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    tool = "wrk" if args.load_generator in ("auto", "wrk") else "python"
    if tool == "wrk" and not loadgen.wrk_available():
        print(f"benchmarks: error: {loadgen.INSTALL_HINT}", file=sys.stderr)
        return 2
    if tool == "python":
        say(
            "benchmarks: WARNING: using the built-in Python load generator: it shares the CPU with "
            "the server, so absolute numbers are low and ratios rough; install wrk for real ones"
        )
    million = None if args.quick else 1_000_000
    options = Options(
        seconds=2 if args.quick else args.seconds,
        warmup=1 if args.quick else args.warmup,
        rounds=1 if args.quick else args.rounds,
        connections=args.connections,
        tool=tool,
        sizes=tuple(args.sizes or (1000, 100_000)),
        startup_sizes=(1000, 100_000) if args.quick else (1000, 100_000, 1_000_000),
        million=million,
        workers="workers" not in args.skip,
        contract="contract" not in args.skip,
        kinds=tuple(args.kinds or ("show", "full", "eq", "cont", "range")),
    )
    report = Report(
        meta={
            "date": time.strftime("%Y-%m-%d %H:%M:%S"),
            "tool": tool,
            "seconds": options.seconds,
            "rounds": options.rounds,
            "load_average": os.getloadavg(),
            "connections": options.connections,
            "seed": SEED,
            "machine": f"{platform.machine()} {os.cpu_count()} cpu, Python {platform.python_version()}",
            "command": "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:]),
        }
    )
    if os.getloadavg()[0] > 1.0:
        say(
            f"benchmarks: note: load average {os.getloadavg()[0]:.1f} before starting: other work "
            "on this machine will show up as noise (each ratio is still measured side by side)"
        )
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="mockserver-bench-") as tmp:
            work = Path(tmp)
            caches: dict[int, Path] = {}
            kept: Server | None = None
            run_million = million is not None and "million" not in args.skip
            if "startup" not in args.skip:
                say("start-up and memory")
                caches, kept = phase_startup(report, options, work, keep=million if run_million else None)
            if run_million:  # first, on the warm server the start-up phase left running
                say("latency over 1,000,000 records")
                try:
                    phase_million(report, options, work, caches, kept)
                finally:
                    if kept is not None:
                        kept.stop()
            if "throughput" not in args.skip:
                say("throughput, mock vs ceiling")
                phase_throughput(report, options, work, caches)
            if "worst" not in args.skip:
                say("worst cases over 100,000 records")
                report.worst = phase_worst(work, caches.get(100_000, work / "cache-100000"))
            if "json-server" not in args.skip:
                say("against json-server")
                report.json_server = phase_json_server(
                    work, caches.get(1000, work / "cache-1000"), options.seconds, options.connections, tool
                )
            if options.workers:
                say("--workers scaling")
                phase_workers(report, options, work)
            if options.contract:
                say("contract suite")
                phase_contract(report, options, work)
    except (ServerError, RuntimeError) as exc:
        print(f"benchmarks: error: {exc}", file=sys.stderr)
        return 1
    report.meta["total_s"] = round(time.perf_counter() - started, 1)
    evaluate(report)
    print_table(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report.as_dict(), indent=2) + "\n")
    print(f"\nwrote {args.out} ({report.meta['total_s']} s)")
    return 0
