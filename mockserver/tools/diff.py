"""``mockserver diff``: the same filter queries against the mock and the live API, ids compared.

After ``record``, the mock (serving the recording, in this process on a free loopback port)
and the upstream hold the same data, so every filter query must return the same ids from
both. Queries are seeded-random (``--seed`` repeats a run) and start with the values that
expose the known Ransack surprises (a date present in the data for the strict ``_gt``, a
swapped-case substring for ``_cont``, ``score_eq=abc`` for ``to_i`` ...), so a small budget
finds most differences. Each disagreement is printed with the ids only one side returned and
the filter rule that explains them, worked out from the recorded records.

The queries and the filters that cannot be compared are in ``diff_queries``; the rules that
explain a disagreement in ``diff_rules``; this module runs both sides and reports.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from aiohttp import web

from mockserver.dataset import load_records
from mockserver.errors import UsageError
from mockserver.model import PUBLIC_FIELDS
from mockserver.server.app import create_app
from mockserver.server.store import Store
from mockserver.settings import Settings, api_token_from_environment
from mockserver.tools import bodies
from mockserver.tools.diff_queries import (
    NAME_HALF,
    NAME_HALF_NOTE,
    NOT_COMPARABLE,
    Query,
    Record,
    encode,
    generate_queries,
    show_query,
)
from mockserver.tools.diff_rules import best_rule
from mockserver.tools.upstream import (
    RETRY_STATUSES,
    TOKEN_VARIABLE,
    BudgetExhaustedError,
    Upstream,
    UpstreamError,
    add_client_options,
    excerpt,
    index_url,
    scrub,
)

__all__ = ["Disagreement", "Report", "register", "run_diff"]


@dataclass
class Disagreement:
    """One query whose answers differ."""

    query: Query
    only_upstream: list[int] = field(default_factory=list)
    only_local: list[int] = field(default_factory=list)
    reasons: dict[str, list[int]] = field(default_factory=dict)  # rule -> ids it explains
    note: str = ""  # status or order differences


# --- the two sides ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    ids: list[int] | None  # None: not a JSON list of records
    excerpt: str


def _answer(status: int, body: bytes, token: str | None = None) -> Answer:
    try:
        data = bodies.document(body)  # JSON, or an XML answer in its JSON form
    except ValueError:
        data = None
    ids = (
        [r["id"] for r in data if isinstance(r, dict) and isinstance(r.get("id"), int)]
        if status == 200 and isinstance(data, list)
        else None
    )
    return Answer(status, ids, excerpt(body, 100, lambda text: scrub(text, token)))


class LocalMock:
    """The recording served by the real mock app, in this process, on a free loopback port."""

    def __init__(self, records: list[Record]) -> None:
        self.token = secrets.token_hex(16)
        self.settings = Settings(host="127.0.0.1", port=0, tokens={self.token: None}, access_log=False)
        self.store = Store(records)
        self._runner: web.AppRunner | None = None
        self._client: Upstream | None = None
        self._stack = contextlib.AsyncExitStack()
        self.url = ""
        self._cache: dict[str, Answer] = {}

    async def __aenter__(self) -> LocalMock:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        sock.setblocking(False)
        self._runner = web.AppRunner(create_app(self.settings, self.store), access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}/api/train_sessions"
        self._client = await self._stack.enter_async_context(
            Upstream(self.url, self.token, retries=0, concurrency=8)
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()
        if self._runner is not None:
            await self._runner.cleanup()

    async def get(self, query: str) -> Answer:
        if query not in self._cache:
            assert self._client is not None
            answer = await self._client.get(query=query)
            self._cache[query] = _answer(answer.status, answer.body)
        return self._cache[query]


# --- the run ------------------------------------------------------------------------------------


PROGRESS_SECONDS = 5.0


@dataclass
class Report:
    queries: int = 0
    disagreements: list[Disagreement] = field(default_factory=list)
    name_half_only: int = 0  # queries that differ only through course_name
    stopped: str = ""


async def _compare(
    query: Query, local: LocalMock, upstream: Upstream, by_id: dict[int, Record]
) -> tuple[Disagreement | None, bool]:
    """(the disagreement, whether it only differs through course_name)."""
    raw = encode(query)
    mine = await local.get(raw)
    answer = await upstream.get(query=raw)
    if answer.status in RETRY_STATUSES:  # throttled or down for maintenance: not a disagreement
        raise UpstreamError(
            f"GET {answer.target}: still {answer.status} after the retries; lower --rate or try later"
        )
    theirs = _answer(answer.status, answer.body, upstream.token)
    if mine.status != theirs.status or (mine.ids is None) != (theirs.ids is None):
        return Disagreement(
            query, note=f"status: mock {mine.status}, upstream {theirs.status} ({theirs.excerpt!r})"
        ), False
    if mine.ids is None or theirs.ids is None or mine.ids == theirs.ids:
        return None, False
    only_up = sorted(set(theirs.ids) - set(mine.ids), reverse=True)
    only_local = sorted(set(mine.ids) - set(theirs.ids), reverse=True)
    found = Disagreement(query, only_up, only_local)
    if not only_up and not only_local:
        found.note = "same ids in another order (Ransack orders by id descending)"
        return found, False
    await _explain(found, local, by_id, set(theirs.ids))
    judged = {k: v for k, v in found.reasons.items() if k != NAME_HALF_NOTE}
    return found, not judged and not only_local


async def _explain(
    found: Disagreement, local: LocalMock, by_id: dict[int, Record], upstream_ids: set[int]
) -> None:
    """Fill ``found.reasons``: for each differing id, the rule of the condition at fault."""
    accepted: dict[tuple[str, str], set[int]] = {}
    for name, value in found.query:
        answer = await local.get(encode(((name, value),)))
        accepted[(name, value)] = set(answer.ids or [])

    def add(reason: str, record_id: int) -> None:
        found.reasons.setdefault(reason, []).append(record_id)

    rejected_by = {i: [c for c in found.query if i not in accepted[c]] for i in found.only_upstream}
    everything = set(by_id)
    effective = [ids for ids in accepted.values() if ids != everything]  # not dropped by the mock
    if len(effective) > 1 and not found.only_local and upstream_ids == set().union(*effective):
        for record_id in found.only_upstream:
            add("Ransack ANDs the filters; upstream looks like it ORs them (m=or)", record_id)
        return
    for condition in found.query:  # does the upstream answer as if one condition were absent?
        rest = tuple(c for c in found.query if c != condition)
        without = set((await local.get(encode(rest))).ids or [])
        if (
            found.only_upstream
            and not found.only_local
            and without == upstream_ids
            and condition[0] != NAME_HALF
        ):
            for record_id in found.only_upstream:
                add(f"upstream ignores {condition[0]}={condition[1]!r}; Ransack filters on it", record_id)
            return
    for record_id in found.only_upstream:
        record = by_id.get(record_id)
        if record is None:
            add("not in the recording: the upstream's data changed since record", record_id)
            continue
        rejecting = rejected_by[record_id]
        if rejecting and all(name == NAME_HALF for name, _ in rejecting):
            add(NAME_HALF_NOTE, record_id)
            continue
        add(best_rule([c for c in rejecting if c[0] != NAME_HALF], record, True), record_id)
    for record_id in found.only_local:
        add(best_rule(list(found.query), by_id[record_id], False), record_id)


class Progress:
    """A line on stderr every PROGRESS_SECONDS: a diff at --rate 5 runs for a minute or more."""

    def __init__(self, err: TextIO | None, upstream: Upstream, report: Report) -> None:
        self.err, self.upstream, self.report = err, upstream, report
        self.started = self.last = time.monotonic()

    def step(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.err is None or (not force and now - self.last < PROGRESS_SECONDS):
            return
        self.last = now
        budget = self.upstream.max_requests
        of = f"/{budget}" if budget is not None else ""
        print(
            f"mockserver: diff: {self.upstream.sent}{of} upstream requests, {self.report.queries} "
            f"queries, {len(self.report.disagreements)} disagree ({now - self.started:.0f}s)",
            file=self.err,
            flush=True,
        )


async def run_diff(
    upstream: Upstream,
    records: list[Record],
    seed: int,
    max_queries: int | None,
    out: TextIO,
    err: TextIO | None = None,
) -> Report:
    """Compare the unfiltered index, then generated queries until the budget is spent; progress
    goes to ``err`` (stderr) every PROGRESS_SECONDS."""
    report = Report()
    progress = Progress(err, upstream, report)
    by_id = {r["id"]: r for r in records}
    async with LocalMock(records) as local:
        mine = await local.get("")
        index = await upstream.get()
        if index.status != 200:
            hint = f" (check --api-token or {TOKEN_VARIABLE})" if index.status == 401 else ""
            raise UsageError(f"GET {index.target} answered {index.status}{hint}")
        theirs = _answer(index.status, index.body, upstream.token)
        report.queries += 1
        if theirs.ids is None:
            raise UsageError(
                f"GET {index.target}: the unfiltered index is not a JSON list "
                f"({theirs.excerpt!r}); check it with 'mockserver proxy' or record"
            )
        if set(theirs.ids) != set(mine.ids or []) or _rendered(index.body) != _rendered_local(records):
            stale = Disagreement(
                (),
                sorted(set(theirs.ids) - set(mine.ids or []), reverse=True),
                sorted(set(mine.ids or []) - set(theirs.ids), reverse=True),
            )
            stale.note = (
                "the upstream's records differ from the recording (another account, "
                "or changed since record): run record again; filter queries "
                "would only repeat this difference, so none were sent"
            )
            report.disagreements.append(stale)
            return report
        for query in generate_queries(records, seed):
            if max_queries is not None and report.queries >= max_queries:
                break
            try:
                found, name_half = await _compare(query, local, upstream, by_id)
            except BudgetExhaustedError:
                break
            report.queries += 1
            progress.step()
            if name_half:
                report.name_half_only += 1
            elif found is not None:
                report.disagreements.append(found)
                print_disagreement(found, out)
        else:
            report.stopped = "no new queries"
    return report


def _rendered(body: bytes) -> Any:
    try:
        data = bodies.document(body)
    except ValueError:
        return None
    return sorted(data, key=lambda r: r.get("id", 0)) if isinstance(data, list) else None


def _rendered_local(records: list[Record]) -> Any:
    return sorted(({k: r[k] for k in PUBLIC_FIELDS} for r in records), key=lambda r: r["id"])


def _ids(ids: list[int], limit: int = 12) -> str:
    shown = ", ".join(map(str, ids[:limit]))
    return f"{shown}, ... ({len(ids)} in all)" if len(ids) > limit else shown


def print_disagreement(found: Disagreement, out: TextIO) -> None:
    print(f"DIFFERS  {show_query(found.query)}", file=out)
    if found.only_upstream:
        print(f"  only upstream ({len(found.only_upstream)}): {_ids(found.only_upstream)}", file=out)
    if found.only_local:
        print(f"  only the mock ({len(found.only_local)}): {_ids(found.only_local)}", file=out)
    if found.note:
        print(f"  {found.note}", file=out)
    for reason, ids in found.reasons.items():
        print(f"  why: {reason}  [ids {_ids(ids, 6)}]", file=out)
    out.flush()


def cmd_diff(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    token = args.api_token or api_token_from_environment()
    if args.max_requests < 1 or args.timeout <= 0 or args.rate < 0:
        raise UsageError("--max-requests must be >= 1, --timeout > 0, --rate >= 0 (0: unlimited)")
    records = load_records(args.fixtures)
    url = index_url(args.upstream)
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    started = time.monotonic()
    print(
        f"mockserver: diff: {url} against the mock serving {args.fixtures} "
        f"({len(records)} records); seed {seed}",
        file=out,
    )
    print(
        "not comparable (the API does not render these attributes, so the recording cannot hold them):",
        file=out,
    )
    width = max(map(len, NOT_COMPARABLE))
    for name, why in NOT_COMPARABLE.items():
        print(f"  {name.ljust(width)}  {why}", file=out)
    out.flush()

    async def run() -> tuple[Report, int]:
        async with Upstream(
            url,
            token,
            rate=args.rate,
            timeout=args.timeout,
            retries=args.retries,
            concurrency=1,
            max_requests=args.max_requests,
        ) as upstream:
            print(
                f"mockserver: diff: reading {url} (progress every {PROGRESS_SECONDS:g}s)",
                file=err,
                flush=True,
            )
            return await run_diff(upstream, records, seed, None, out, err), upstream.sent

    try:
        report, sent = asyncio.run(run())
    except UpstreamError as exc:
        raise UsageError(f"cannot read the upstream: {scrub(exc.reason, token)}") from None
    except UsageError as exc:
        raise UsageError(scrub(str(exc), token)) from None
    if report.disagreements and not report.disagreements[0].query:
        print_disagreement(report.disagreements[0], out)
    elapsed = time.monotonic() - started
    summary = (
        f"mockserver: diff: {report.queries} queries, {len(report.disagreements)} "
        f"disagree, {report.name_half_only} differ only through course_name (not "
        f"comparable); {sent} upstream requests in {elapsed:.1f}s (repeat with --seed {seed})"
    )
    print(summary, file=out)
    return 1 if report.disagreements else 0


def register(subparsers: Any) -> None:
    """Add ``diff`` to the CLI."""
    p = subparsers.add_parser(
        "diff",
        help="compare filter results of the mock and the live API",
        description="Serve PATH (a recording of URL) with the mock in this process and send the "
        "same generated filter queries to both; print every query whose ids differ, "
        "with the filter rule that explains it. Exit 1 on any disagreement.",
    )
    p.add_argument(
        "--fixtures",
        required=True,
        type=Path,
        metavar="PATH",
        help="the recording of URL (mockserver record --out PATH)",
    )
    p.add_argument(
        "--max-requests",
        type=int,
        default=200,
        metavar="N",
        help="at most N requests to URL, retries included (default 200)",
    )
    p.add_argument("--seed", type=int, metavar="S", help="query seed (default: random, printed)")
    # gentler than record: diff's queries are generated, and each may make the API search
    add_client_options(p, "rate", "timeout", "retries", upstream=True, defaults={"rate": 5.0})
    p.set_defaults(run=cmd_diff)
