"""pytest wiring of the contract suite: options, the endpoint, the client and the data.

    pytest contract_tests [--api-url URL] [--api-token TOKEN] [--max-requests N] [--rate R]
                          [--stack NAME|auto]

With no ``--api-url`` (nor ``MOCKSERVER_API_URL``) each process starts the mock itself. The
request budget is for the whole run: under pytest-xdist each worker gets its share (of a
given URL's budget; a mock a worker started itself is its own).
``--stack`` names the Rails/Ransack generation whose semantics are asserted (``auto``, the
default, fingerprints the endpoint first and prints the result in the header; see
generation.py). This is the only module of the suite that reads the environment.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, reject, settings
from hypothesis import strategies as st

from . import generation as generations
from .checks import ContractViolationError, Dataset, Forall, Property, check_status, json_body
from .client import BudgetExhaustedError, Client, index_url, is_loopback
from .endpoint import DEV_TOKEN, MockProcess, start_mock
from .generation import AUTO, Generation

DEFAULT_MAX_REQUESTS = 900  # a default run needs about 600
REMOTE_RATE = 5.0
STATS_KEY = "contract_stats"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contract", "train-sessions contract suite")
    group.addoption(
        "--api-url",
        default=None,
        metavar="URL",
        help="endpoint to test (env MOCKSERVER_API_URL); default: start the mock",
    )
    group.addoption(
        "--api-token",
        default=None,
        metavar="TOKEN",
        help=f"API token (env MOCKSERVER_API_TOKEN; default {DEV_TOKEN!r})",
    )
    group.addoption(
        "--max-requests",
        type=int,
        default=None,
        metavar="N",
        help=f"request budget of the whole run (default {DEFAULT_MAX_REQUESTS})",
    )
    group.addoption(
        "--rate",
        type=float,
        default=None,
        metavar="PER_SECOND",
        help=f"requests per second (default: unlimited on loopback, {REMOTE_RATE:g} otherwise)",
    )
    group.addoption(
        "--api-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="timeout of one request (default 10)",
    )
    group.addoption(
        "--unchecked-report",
        default=None,
        metavar="PATH",
        help="write the number of tests the request budget left unchecked to PATH "
        "(JSON; used by 'mockserver contract' to fail partial runs)",
    )
    group.addoption(
        "--stack",
        default=AUTO,
        metavar="NAME",
        help="the Rails/Ransack generation whose semantics to assert (names in schemas/stacks.json; "
        "default auto: fingerprint the endpoint first). Without --api-url the mock is started "
        "as that generation",
    )
    group.addoption(
        "--allow-writes",
        default=None,
        metavar="LOGIN_ID:COURSE_CODE",
        help="run the unassign tests (test_unassign.py), which REMOVE that disposable assignment "
        "(login id and course code) from the endpoint; default: unassign is never sent",
    )
    group.addoption(
        "--examples-scale",
        type=float,
        default=1.0,
        metavar="FACTOR",
        help="multiply every property's number of Hypothesis examples (default 1)",
    )


def _option(config: pytest.Config, name: str, env: str) -> Any:
    value = config.getoption(name)
    return value if value is not None else (os.environ.get(env) or None)


def _workers(config: pytest.Config) -> int:
    count = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    return max(1, int(count)) if count and hasattr(config, "workerinput") else 1


def _seed(config: pytest.Config) -> Any:
    try:
        return config.getoption("--hypothesis-seed")
    except ValueError:
        return None


def _told(config: pytest.Config) -> Generation | None:
    """The generation named by --stack, None for auto; a usage error for an unknown name."""
    name = config.getoption("--stack")
    if name == AUTO:
        return None
    try:
        return generations.generation_named(name)
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


_CHOSEN = pytest.StashKey[tuple[Generation | None, str]]()  # (generation or None if mixed, why)
FINGERPRINT_REQUESTS = 80  # the fingerprint's own budget (about 13 requests; more for a paginated index)


def _fingerprint(client: Client) -> tuple[Generation | None, str]:
    """Fingerprint the endpoint: (the generation, how it was found) or (None, the conflicts)."""
    index = client.index(fresh=True)
    check_status(index, 200, "the unfiltered index with a valid token")
    json_body(index)  # a body that is not JSON fails here, with its own message
    observations = generations.observe(client, index)
    try:
        chosen = generations.choose(observations)
    except ContractViolationError as exc:
        return None, str(exc)
    unknown = sum(o.present is None for o in observations)
    return chosen, f"auto: fingerprinted with {len(observations) - unknown} observations"


def _generation_header(config: pytest.Config, url: str | None, token: str) -> str:
    told = _told(config)
    if told is not None:
        return f"contract: generation {told.name} (told: --stack)"
    if not url:
        return "contract: generation auto: the mock this run starts is fingerprinted at the first test"
    http = Client(url, token, max_requests=FINGERPRINT_REQUESTS, rate=None, timeout=10.0)
    try:
        config.stash[_CHOSEN] = _fingerprint(http)
    except Exception as exc:  # the tests report an unreachable endpoint with their own context
        return f"contract: generation auto: the fingerprint could not run ({exc})"
    finally:
        http.close()
    chosen, why = config.stash[_CHOSEN]
    if chosen is None:
        return "contract: generation auto: NO SINGLE GENERATION FITS; " + why.splitlines()[0]
    return f"contract: generation {chosen.name} ({why}; --stack {chosen.name} asserts it without one)"


def pytest_report_header(config: pytest.Config) -> list[str]:
    url = _option(config, "--api-url", "MOCKSERVER_API_URL")
    target = index_url(url) if url else "the mock, started by this run (python -m mockserver serve)"
    budget = config.getoption("--max-requests") or DEFAULT_MAX_REQUESTS
    rate = config.getoption("--rate")
    rate_text = (
        f"{rate:g}/s"
        if rate
        else ("unlimited (loopback)" if not url or is_loopback(url) else f"{REMOTE_RATE:g}/s")
    )
    seed = _seed(config)
    seed_text = (
        f"hypothesis seed {seed} (replay: --hypothesis-seed={seed})"
        if seed is not None
        else "hypothesis derandomized: the same command replays the same examples "
        "(--hypothesis-seed=N explores others)"
    )
    token = _option(config, "--api-token", "MOCKSERVER_API_TOKEN") or DEV_TOKEN
    return [
        f"contract: endpoint {target}",
        f"contract: budget {budget} requests, rate {rate_text}, {seed_text}",
        _generation_header(config, index_url(url) if url else None, token),
    ]


@pytest.fixture(scope="session")
def endpoint(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """(index URL, token) of the endpoint under test; starts the mock when none is given."""
    config = request.config
    url = _option(config, "--api-url", "MOCKSERVER_API_URL")
    token = _option(config, "--api-token", "MOCKSERVER_API_TOKEN") or DEV_TOKEN
    if url:
        yield index_url(url), token
        return
    told = _told(config)
    stack = ("--stack", told.name) if told is not None else ()
    mock: MockProcess = start_mock(tmp_path_factory.mktemp("mock"), stack)
    try:
        yield mock.url, token
    finally:
        mock.stop()


@pytest.fixture(scope="session")
def client(request: pytest.FixtureRequest, endpoint: tuple[str, str]) -> Iterator[Client]:
    """The HTTP client of this process, with its share of the run's request budget."""
    config = request.config
    url, token = endpoint
    total = config.getoption("--max-requests") or DEFAULT_MAX_REQUESTS
    rate = config.getoption("--rate")
    if rate is None and not is_loopback(url):
        rate = REMOTE_RATE
    # The budget protects a live API: shared out between xdist workers for a given URL, whole
    # per worker for the mock each worker started itself.
    given_url = _option(config, "--api-url", "MOCKSERVER_API_URL")
    share = total // _workers(config) if given_url else total
    http = Client(
        url, token, max_requests=max(1, share), rate=rate, timeout=config.getoption("--api-timeout")
    )
    config.stash[_CLIENT] = http
    try:
        yield http
    finally:
        http.close()
        stats = {
            "sent": http.stats.sent,
            "cache_hits": http.stats.cache_hits,
            "retries": dict(http.stats.retries),
            "waited": http.stats.waited,
            "budget": http.budget.total,
        }
        if hasattr(config, "workeroutput"):
            config.workeroutput[STATS_KEY] = stats
        else:
            config.stash.setdefault(_STATS, []).append(stats)


_STATS = pytest.StashKey[list[dict[str, Any]]]()
_CLIENT = pytest.StashKey[Client]()


def _sent(config: pytest.Config) -> int:
    http = config.stash.get(_CLIENT, None)
    return http.stats.sent if http is not None else 0


@pytest.fixture(autouse=True)
def _rule_and_requests(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test's rule (its docstring's first line) and the requests it sent, as user
    properties: JUnit XML carries them, and ``mockserver contract --report`` lists them."""
    function = getattr(request.node, "function", None)
    doc = (function.__doc__ if function is not None else None) or ""
    rule = " ".join(doc.strip().split("\n\n")[0].split())  # the first paragraph, on one line
    request.node.user_properties.append(("rule", rule or request.node.name))
    before = _sent(request.config)
    yield
    request.node.user_properties.append(("requests", _sent(request.config) - before))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """Collect each xdist worker's request counts for the summary."""
    stats = getattr(node, "workeroutput", {}).get(STATS_KEY)
    if stats:
        node.config.stash.setdefault(_STATS, []).append(stats)


BUDGET_SKIP = "request budget exhausted"  # the start of client.BudgetExhaustedError's message


class _Unchecked:
    """Collects the tests skipped because the budget ran out (under xdist, on the controller)."""

    def __init__(self) -> None:
        self.nodeids: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped and BUDGET_SKIP in str(report.longrepr):
            self.nodeids.append(report.nodeid)


_UNCHECKED = pytest.StashKey[_Unchecked]()


def pytest_configure(config: pytest.Config) -> None:
    _told(config)  # an unknown --stack is a usage error before anything runs
    config.addinivalue_line("markers", "process: talks to an endpoint (by default the mock, as a subprocess)")
    config.stash[_UNCHECKED] = _Unchecked()
    config.pluginmanager.register(config.stash[_UNCHECKED], "contract-unchecked")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here talks to the endpoint: `pytest -m "not process"` leaves the suite out."""
    for item in items:
        if item.path.is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.process)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write the unchecked count for ``--unchecked-report`` (the controller's, not a worker's)."""
    config = session.config
    path = config.getoption("--unchecked-report")
    if path and not hasattr(config, "workerinput"):
        unchecked = config.stash[_UNCHECKED].nodeids
        with open(path, "w", encoding="utf-8") as sink:
            json.dump({"unchecked": len(unchecked), "tests": unchecked}, sink)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    chosen = config.stash.get(_CHOSEN, None)
    if chosen is not None and _told(config) is None:
        found, why = chosen
        terminalreporter.write_line(
            f"contract: generation {found.name} ({why})" if found else "contract: generation: none fits"
        )
    unchecked = config.stash[_UNCHECKED].nodeids
    if unchecked:
        terminalreporter.write_line(
            f"contract: {len(unchecked)} tests NOT CHECKED: the request budget ran out "
            "(raise --max-requests); this run is partial, not a pass",
            yellow=True,
            bold=True,
        )
    runs = config.stash.get(_STATS, [])
    if not runs:
        return
    sent = sum(s["sent"] for s in runs)
    budget = sum(s["budget"] for s in runs)
    hits = sum(s["cache_hits"] for s in runs)
    retries: dict[str, int] = {}
    for s in runs:
        for status, count in s["retries"].items():
            retries[str(status)] = retries.get(str(status), 0) + count
    retry_text = ", ".join(f"{n} after {status}" for status, n in sorted(retries.items())) or "none"
    waited = sum(s["waited"] for s in runs)
    terminalreporter.write_line(
        f"contract: {sent} requests sent of a {budget} budget ({hits} answered from cache); "
        f"retries: {retry_text}" + (f" ({waited:.1f}s waited)" if waited else "")
    )


@pytest.fixture(scope="session")
def generation(request: pytest.FixtureRequest, client: Client) -> Generation:
    """The generation whose semantics every test asserts: told, or fingerprinted (once per
    process; the header's fingerprint is reused). An endpoint mixing generations fails here."""
    config = request.config
    told = _told(config)
    if told is not None:
        return told
    if _CHOSEN not in config.stash:
        config.stash[_CHOSEN] = _fingerprint(client)
    chosen, why = config.stash[_CHOSEN]
    if chosen is None:
        raise ContractViolationError(why)
    return chosen


@pytest.fixture(scope="session")
def dataset(client: Client, generation: Generation) -> Dataset:
    """The unfiltered index, read once; every expectation is computed from it, under the
    generation's rules."""
    response = client.index(fresh=True)
    check_status(response, 200, "the unfiltered index with a valid token")
    body = json_body(response)
    if not isinstance(body, list) or not all(
        isinstance(r, dict) and isinstance(r.get("id"), int) for r in body
    ):
        raise ContractViolationError(
            "the unfiltered index is not a JSON array of records with integer ids",
            response.describe(),
            [response],
        )
    return Dataset(response, body, generation.rules)


SHRINK_REQUESTS = 40  # requests a failing property may spend shrinking its example


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A test that ran out of request budget is skipped, not failed: it found nothing wrong."""
    report = yield
    if call.excinfo is not None and call.excinfo.errisinstance(BudgetExhaustedError):
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: {call.excinfo.value}")
    return report


@pytest.fixture
def forall(request: pytest.FixtureRequest, client: Client) -> Forall:
    """``@forall(strategy, examples=N)`` runs the decorated check as a Hypothesis property now.

    Strategies depend on the endpoint's data, so properties are built inside the test. Once an
    example has failed, shrinking may send at most SHRINK_REQUESTS more requests; after that,
    candidates that need an uncached request are rejected, so the smallest failure found so
    far (its answers are cached) is the one reported.
    A run that exhausts the request budget is skipped, unless it had already found a failure.
    """
    config = request.config
    scale = config.getoption("--examples-scale")
    seeded = _seed(config) is not None

    def decorate(*strategies: st.SearchStrategy[Any], examples: int) -> Property:
        def run(check: Callable[..., None]) -> None:
            seen = ContractViolationError.raised
            baseline: list[int] = []

            def guard() -> None:
                """After a failure, reject candidates that need more than SHRINK_REQUESTS requests."""
                if ContractViolationError.raised > seen:
                    if not baseline:
                        baseline.append(client.budget.used)
                    if client.budget.used - baseline[0] >= SHRINK_REQUESTS:
                        reject()

            prop = settings(
                max_examples=max(1, round(examples * scale)),
                deadline=None,
                database=None,
                derandomize=not seeded,
                print_blob=seeded,
                suppress_health_check=[
                    HealthCheck.too_slow,
                    HealthCheck.data_too_large,
                    HealthCheck.filter_too_much,
                ],
                phases=[Phase.explicit, Phase.generate, Phase.shrink],
            )(given(*strategies)(check))
            client.before_send = guard
            try:
                prop()
            except BudgetExhaustedError as exc:
                pytest.skip(str(exc))
            except ExceptionGroup as group:
                rest = group.subgroup(lambda e: not isinstance(e, BudgetExhaustedError))
                if rest is None:
                    pytest.skip(str(group.exceptions[0]))
                raise rest from None
            finally:
                client.before_send = None

        return run

    return decorate


@pytest.fixture
def scaled(request: pytest.FixtureRequest) -> Callable[[int], int]:
    """``scaled(n)``: n scaled by --examples-scale, for probe loops that are not properties."""
    factor = request.config.getoption("--examples-scale")
    return lambda count: max(1, round(count * factor))
