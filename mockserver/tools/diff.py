"""``mockserver diff``: the same filter queries against the mock and the live API, ids compared.

After ``record``, the mock (serving the recording, in this process on a free loopback port)
and the upstream hold the same data, so every filter query must return the same ids from
both. Queries are seeded-random (``--seed`` repeats a run) and start with the values that
expose the known Ransack surprises (a date present in the data for the strict ``_gt``, a
swapped-case substring for ``_cont``, ``score_eq=abc`` for ``to_i`` ...), so a small budget
finds most differences. Each disagreement is printed with the ids only one side returned and
the filter rule that explains them, worked out from the recorded records.

Filters on attributes the API does not render cannot be compared: the recording holds no
``assignee_login_username`` or ``last_attempt`` (those filters are not sent), and no
``course_name``, so ids that only the upstream returns for ``course_code_or_course_name_cont``
may match the name half and are reported as not comparable, never guessed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import random
import re
import secrets
import socket
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from aiohttp import web

from mockserver.dataset import load_records
from mockserver.engine.ruby import is_blank, strip, to_i
from mockserver.engine.rubydate import ruby_to_date
from mockserver.errors import UsageError
from mockserver.model import FILTERS, FILTERS_BY_NAME, PUBLIC_FIELDS, Filter, Kind
from mockserver.server.app import create_app
from mockserver.server.store import Store
from mockserver.settings import Settings, api_token_from_environment
from mockserver.tools import bodies
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

__all__ = ["NOT_COMPARABLE", "Disagreement", "Explanation", "explain", "generate_queries", "register"]

Record = dict[str, Any]
Query = tuple[tuple[str, str], ...]  # (filter name, raw value) pairs, in order

NOT_COMPARABLE: dict[str, str] = {
    "assignee_login_username_eq": "assignee_login_username is not rendered, so the recording "
    "has none: not sent",
    "last_attempt_eq": "last_attempt is not rendered, so the recording has none: not sent",
    "course_code_or_course_name_cont": "only the course_code half: the recording has no "
    "course_name, so ids only upstream returns are not judged",
}
NAME_HALF = "course_code_or_course_name_cont"
NAME_HALF_NOTE = "not comparable: may match course_name, which the recording cannot see"
COMPARED: tuple[Filter, ...] = tuple(
    f for f in FILTERS if f.name not in NOT_COMPARABLE or f.name == NAME_HALF
)
_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_CANONICAL_INT = re.compile(r"[+-]?[0-9]+\Z")
_OPS = {"gt": ">", "lt": "<", "gteq": ">=", "lteq": "<=", "eq": "="}


def encode(query: Query) -> str:
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query)


def show_query(query: Query) -> str:
    """The query as a reader types it (values JSON-quoted when they hold odd characters)."""
    if not query:
        return "(no filter)"
    return "&".join(
        f"{k}={v if v and v.isprintable() and v == v.strip() and ' ' not in v else json.dumps(v)}"
        for k, v in query
    )


# --- queries ----------------------------------------------------------------------------------


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


class _Values:
    """Filter values drawn from the recorded records, so that most queries select something."""

    def __init__(self, records: Sequence[Record], rng: random.Random) -> None:
        self.records, self.rng = records, rng

    def present(self, attribute: str) -> list[Any]:
        return [r[attribute] for r in self.records if r.get(attribute) is not None]

    def common(self, attribute: str) -> Any:
        counted = Counter(self.present(attribute))
        return counted.most_common(1)[0][0] if counted else None

    def text(self, attribute: str) -> str:
        rng = self.rng
        pool = [str(t) for t in self.present(attribute) if t] or ["x"]
        base = rng.choice(pool)
        start = rng.randrange(len(base))
        sub = base[start : start + rng.randint(1, 6)]
        how = rng.choice(
            (
                "plain",
                "plain",
                "whole",
                "upper",
                "lower",
                "swapcase",
                "padded",
                "wildcard",
                "accentless",
                "absent",
                "blank",
            )
        )
        if how == "whole":
            return base
        if how in ("upper", "lower", "swapcase"):
            return str(getattr(sub, how)())
        if how == "padded":
            return f" {sub}\t"
        if how == "wildcard":
            at = rng.randrange(len(sub) + 1)
            return sub[:at] + rng.choice("_%") + sub[at + 1 :]
        if how == "accentless":
            return _fold(sub)
        if how == "absent":
            return "zq" + sub + "xq"
        if how == "blank":
            return rng.choice(("", " ", "\u00a0"))
        return sub

    def integer(self, attribute: str) -> str:
        rng = self.rng
        value = rng.choice(self.present(attribute) or [0])
        how = rng.choice(
            ("plain", "plain", "plain", "absent", "padded", "suffix", "decimal", "word", "plus", "blank")
        )
        return {
            "plain": str(value),
            "absent": str(max(self.present(attribute) or [0]) + 7),
            "padded": f" {value} ",
            "suffix": f"{value}abc",
            "decimal": f"{value}.9",
            "word": "abc",
            "plus": f"+{value}",
            "blank": "",
        }[how]

    def date(self, attribute: str) -> str:
        rng = self.rng
        days = self.present(attribute) or ["2015-01-01"]
        day = dt.date.fromisoformat(rng.choice(days)) + dt.timedelta(days=rng.choice((0, 0, 0, -1, 1)))
        how = rng.choice(
            ("iso", "iso", "iso", "iso", "compact", "slashes", "words", "invalid", "blank", "padded")
        )
        return {
            "iso": day.isoformat(),
            "compact": day.strftime("%Y%m%d"),
            "slashes": f"{day.year}/{day.month}/{day.day}",
            "words": day.strftime("%b %d %Y"),
            "invalid": f"{day.year}-02-30",
            "blank": "",
            "padded": f" {day.isoformat()} ",
        }[how]

    def value(self, spec: Filter) -> str:
        if spec.kind is Kind.DATE:
            return self.date(spec.attributes[0])
        if spec.kind is Kind.INT:
            return self.integer(spec.attributes[0])
        return self.text(spec.attributes[0])


def _edge_queries(values: _Values) -> Iterator[Query]:
    """One query per compared filter on the value most likely to show a Ransack surprise."""
    for spec in COMPARED:
        attribute = spec.attributes[0]
        common = values.common(attribute)
        if common is None:
            continue
        if spec.kind is Kind.STR:
            yield ((spec.name, str(common)[1:4].swapcase() or str(common)),)
        else:
            yield ((spec.name, str(common)),)
    yield (("score_eq", "abc"),)
    yield (("full_name_cont", ""),)
    yield (("completion_date_lteq", "2015-02-30"),)
    names = [n for n in values.present("full_name") if len(n) > 3]
    if names:
        yield (("full_name_cont", names[0][1] + "_" + names[0][3:5]),)


def generate_queries(records: Sequence[Record], seed: int) -> Iterator[Query]:
    """Edge queries first, then seeded-random conjunctions of one to three compared filters;
    never the same query twice. Endless: the caller stops at its budget."""
    values = _Values(records, random.Random(seed))
    seen: set[Query] = set()
    for query in _edge_queries(values):
        if query not in seen:
            seen.add(query)
            yield query
    misses = 0
    while misses < 1000:
        size = values.rng.choice((1, 1, 2, 2, 3))
        specs = values.rng.sample(COMPARED, size)
        query = tuple((spec.name, values.value(spec)) for spec in specs)
        if query in seen:
            misses += 1
            continue
        seen.add(query)
        yield query


# --- explanations ------------------------------------------------------------------------------


def _date_value(raw: str) -> str | None:
    parsed = ruby_to_date(strip(raw), dt.date.today())
    return None if parsed is None else dt.date(*parsed).isoformat()


@dataclass(frozen=True)
class Explanation:
    """A Ransack rule the upstream seems to break; ``weak`` when it says nothing about the
    record itself (a blank or odd value), so that a rule that does is preferred."""

    rule: str
    weak: bool = False


def explain(spec: Filter, raw: str, record: Record, upstream_has: bool) -> Explanation | None:
    """The rule that explains why the upstream (``upstream_has``) did or did not return
    ``record`` for ``spec=raw`` where the mock did the opposite; None when no rule fits."""
    name = spec.name
    attribute = spec.attributes[0]
    predicate = spec.predicate.value
    op = _OPS.get(predicate, predicate)
    if is_blank(raw):
        return (
            None
            if upstream_has
            else Explanation(
                f"a blank value drops {name} in Ransack (it never means 'match empty'); upstream "
                "looks like it filtered on it",
                weak=True,
            )
        )
    if spec.kind is Kind.DATE:
        day = _date_value(raw)
        if day is None:
            return (
                None
                if upstream_has
                else Explanation(
                    f"Ransack drops {name} when Date.parse rejects {raw!r}; upstream filtered on it anyway",
                    weak=True,
                )
            )
        value = record.get(attribute)
        if value is None:
            return (
                Explanation(
                    f"NULL never matches in Ransack (SQL); upstream returned a "
                    f"record with no {attribute} for {name}"
                )
                if upstream_has
                else None
            )
        if value == day and predicate in ("gt", "lt") and upstream_has:
            return Explanation(
                f"{name} is strict in Ransack ({op}); upstream looks inclusive "
                f"({op}=), as the API doc words it"
            )
        if value == day and predicate in ("gteq", "lteq") and not upstream_has:
            return Explanation(f"{name} is inclusive in Ransack ({op}); upstream looks strict ({op[0]})")
        if predicate == "eq" and upstream_has:
            for other in ("completion_date", "cert_expiry", "complete_by"):
                if other != attribute and record.get(other) == day:
                    return Explanation(
                        f"{name} compares {attribute} in Ransack; upstream looks like it compares {other}"
                    )
        if value == day and predicate == "eq" and not upstream_has:
            return Explanation(
                f"{name} compares {attribute} in Ransack; upstream missed a "
                f"record whose {attribute} is {day} (does it compare another "
                "attribute?)"
            )
        if not _ISO.match(strip(raw)):
            return Explanation(
                f"Ransack reads {raw!r} as {day} (Ruby's lenient Date.parse); "
                "upstream seems to read it differently",
                weak=True,
            )
        return None
    if spec.kind is Kind.INT:
        number = to_i(raw)
        if not _CANONICAL_INT.match(strip(raw)):
            return Explanation(
                f"Ransack casts {raw!r} with Ruby's to_i (to {number}); upstream casts it differently",
                weak=True,
            )
        if not -(2**31) <= number < 2**31:
            return Explanation(f"{raw} is outside int4; upstream handles the overflow differently", weak=True)
        return None
    value = str(record.get(attribute) or "").lower()
    text = strip(raw)
    found = text.lower() in value
    if not upstream_has and raw != text and found:
        return Explanation("Ransack strips ASCII whitespace from values; upstream seems not to")
    if upstream_has and ("_" in text or "%" in text) and not found:
        return Explanation("%, _ and \\ are literal in Ransack's _cont; upstream treats them as wildcards")
    if not upstream_has and found and text not in str(record.get(attribute) or ""):
        return Explanation("_cont is case-insensitive in Ransack (ILIKE); upstream looks case-sensitive")
    if upstream_has and not found and _fold(text).lower() in _fold(value):
        return Explanation("Ransack's _cont does not fold accents; upstream matches without them")
    if not upstream_has and found and not value.startswith(text.lower()):
        return Explanation("_cont matches anywhere in Ransack; upstream looks like a prefix match (_start)")
    return None


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
        add(_best([c for c in rejecting if c[0] != NAME_HALF], record, True), record_id)
    for record_id in found.only_local:
        add(_best(list(found.query), by_id[record_id], False), record_id)


def _best(conditions: list[tuple[str, str]], record: Record, upstream_has: bool) -> str:
    """The strongest explanation among the conditions' (each condition's rule on ``record``)."""
    found = [
        e for name, value in conditions if (e := explain(FILTERS_BY_NAME[name], value, record, upstream_has))
    ]
    found.sort(key=lambda e: e.weak)
    return found[0].rule if found else "no known Ransack rule explains it"


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
