"""What a benchmark run found: the report, the targets and the printed table."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .jsonserver import json_server_lines
from .scenarios import DISTINCT_PREMISE, FILTERED, REPEATED_PREMISE, Scenario
from .worst import worst_lines

# the ratio targets
SHOW_FULL_RATIO = 0.8
FILTERED_RATIO = 0.5
MILLION_P50_MS = 50.0  # "well under 100 ms": half of it
DEFAULT_RATIO = 0.9  # the default configuration (access log on) against --quiet


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


def fmt(value: float | None, spec: str) -> str:
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
                f"{fmt(r['cold_rss_mib'], '8,.0f')}  {fmt(r['warm_rss_mib'], '8,.0f')}"
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
                f"{c.p50_ms:>7.2f} {c.p99_ms:>7.2f} | {fmt(s.ratio, '5.2f')} "
                f"{m.errors + c.errors:>3} | {fmt(s.default.rps if s.default else None, '8,.0f')} "
                f"{fmt(s.default_ratio, '10.2f')} {fmt(s.default_cpu_ratio, '6.2f')} | "
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
                f"{w['rps_2']:>8,.0f}/s   x{fmt(w['scaling'], '.2f')}"
            )
    if report.contract:
        contract = report.contract
        text = contract.get("status") or (
            f"exit {contract['exit_code']}, {contract['tests_passed']} tests, "
            f"{contract['requests']} requests in {contract['seconds']:.1f} s = "
            f"{fmt(contract['requests_per_s'], ',.0f')} requests (>= examples)/s "
            "(pytest start-up included)"
        )
        out.append(f"\ncontract suite against the mock: {text}")
    if report.targets:
        out.append("\ntargets")
        for t in report.targets:
            verdict = {True: "PASS ", False: "GAP  ", None: "ROUGH"}[t["ok"]]
            out.append(f"  {verdict} {t['target']:<52} measured {t['measured']}")
    print("\n".join(out), flush=True)
