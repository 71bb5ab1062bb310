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
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import loadgen
from .jsonserver import phase_json_server
from .loadgen import Measurement
from .report import Report, evaluate, fmt, print_table
from .scenarios import Scenario, build_scenarios, record_bodies
from .servers import Server, ServerError, start_ceiling, start_default_mock, start_mock
from .values import counters, searches_per_request
from .worst import phase_worst

RESULTS = Path(__file__).parent / "results"
ROOT = Path(__file__).parent.parent
INDEX = "/api/train_sessions"
SEED = 2015


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


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
            is_mock = name != "ceiling"
            health = counters(server.base) if is_mock else None
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
                        f"default {fmt(scenario.default.rps if scenario.default else None, '9,.0f')}/s  "
                        f"default/quiet {fmt(scenario.default_ratio, '.2f')} "
                        f"(by CPU per request {fmt(scenario.default_cpu_ratio, '.2f')})  "
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
