"""``mockserver contract --report FILE.json|FILE.md``: a per-rule summary of a contract run, for CI.

A small pytest plugin, loaded into the suite's pytest process by ``mockserver contract``
(``-p mockserver.tools.contract_report --contract-report FILE``); the suite itself imports
nothing from this package. Per test (one rule each): its outcome, the rule (the test's
docstring), the requests it sent, a command that reruns it, and for a failure the reproduce
lines the suite printed (curl commands with the token as ``$MOCKSERVER_API_TOKEN``). Under
pytest-xdist it runs on the controller, from the reports the workers send. ``.json`` gives
JSON; anything else Markdown, as GitHub's job summary (``$GITHUB_STEP_SUMMARY``) shows it.
"""

from __future__ import annotations

import json
import os
import shlex
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

OPTION = "--contract-report"
MAX_REPRODUCE = 5  # reproduce lines kept per failing rule


@dataclass
class RuleResult:
    test: str
    rule: str = ""
    outcome: str = "passed"
    requests: int = 0
    seconds: float = 0.0
    rerun: str = ""
    message: str = ""
    reproduce: list[str] = field(default_factory=list)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("contract").addoption(
        OPTION, default=None, metavar="PATH", help="write a per-rule summary (.json: JSON, else Markdown)"
    )
    parser.addoption(
        "--contract-rerun", default="", help="the command a rule is rerun with (-k NAME is added)"
    )


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption(OPTION)
    if path and not hasattr(config, "workerinput"):  # the controller (or a run without xdist)
        config.pluginmanager.register(_Collector(Path(path), config), "contract_report_collector")


class _Collector:
    def __init__(self, path: Path, config: pytest.Config) -> None:
        self.path = path
        self.config = config
        self.results: dict[str, RuleResult] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        result = self.results.setdefault(report.nodeid, RuleResult(report.nodeid))
        properties = dict(report.user_properties)
        result.rule = str(properties.get("rule", result.rule))
        requests = properties.get("requests")
        if isinstance(requests, int):
            result.requests = requests
        result.seconds += report.duration
        name = report.nodeid.rpartition("::")[2].partition("[")[0]
        rerun = self.config.getoption("--contract-rerun")
        result.rerun = f"{rerun} -k {shlex.quote(name)}" if rerun else f"pytest -k {shlex.quote(name)}"
        if report.failed:
            result.outcome = "failed" if report.when == "call" else "error"
            text = str(report.longrepr)
            lines = [line.strip() for line in text.splitlines()]
            result.reproduce = list(
                dict.fromkeys(
                    line.partition("reproduce: ")[2]
                    for line in lines
                    if line.startswith("E ") and "reproduce: " in line
                )
            )[:MAX_REPRODUCE]
            messages = [line[1:].strip() for line in lines if line.startswith("E ")]
            first = messages[0] if messages else text.splitlines()[-1] if text else ""
            kind, sep, rest = first.partition(": ")
            result.message = rest if sep and kind.endswith("Error") else first  # no module path
        elif report.skipped and result.outcome == "passed":
            result.outcome = "skipped"
            longrepr = report.longrepr
            result.message = str(longrepr[2] if isinstance(longrepr, tuple) else longrepr)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        results = sorted(self.results.values(), key=lambda r: (r.outcome == "passed", r.test))
        document = render_json(results) if self.path.suffix == ".json" else render_markdown(results)
        directory = self.path.resolve().parent
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(document)
        os.replace(tmp, self.path)


def _totals(results: list[RuleResult]) -> dict[str, int]:
    totals = {"rules": len(results), "requests": sum(r.requests for r in results)}
    for outcome in ("passed", "failed", "error", "skipped"):
        totals[outcome] = sum(r.outcome == outcome for r in results)
    return totals


def render_json(results: list[RuleResult]) -> str:
    document: dict[str, Any] = {"summary": _totals(results), "rules": [asdict(r) for r in results]}
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(results: list[RuleResult]) -> str:
    totals = _totals(results)
    mark = {"passed": "✅ passed", "failed": "❌ failed", "error": "❌ error", "skipped": "⏭ skipped"}
    lines = [
        "# Contract suite",
        "",
        f"{totals['passed']} passed, {totals['failed']} failed, {totals['error']} errors, "
        f"{totals['skipped']} skipped; {totals['requests']} requests.",
        "",
        "| rule | outcome | requests | test |",
        "|---|---|---|---|",
    ]
    lines += [f"| {_cell(r.rule)} | {mark[r.outcome]} | {r.requests} | `{_cell(r.test)}` |" for r in results]
    failing = [r for r in results if r.outcome in ("failed", "error")]
    for r in failing:
        lines += ["", f"## {r.rule}", "", f"`{r.test}`: {r.message}", "", "```sh", f"{r.rerun}"]
        lines += [*r.reproduce, "```"]
    return "\n".join(lines) + "\n"
