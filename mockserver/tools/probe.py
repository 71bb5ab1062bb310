"""``mockserver probe URL``: a short, read-only survey of the behaviours client code depends on.

At most ``len(PROBES)`` GET requests: 20 each answering one question a client developer asks
(is ``_cont`` case-insensitive? is ``_gt`` strict? are unknown parameters ignored? ...), then
the generation fingerprint (``fingerprint.py``; its 500-causing GETs only with
``--allow-errors``). The table shows what the endpoint did next to what the vendor doc and
today's Ransack say; the fingerprint ranks the generations and names the ``--stack`` to use.
Values are taken from the endpoint's own unfiltered index, so no data is assumed. Exit 0 when
every answer is today's Ransack's, 1 when one differs or no generation fits, 2 when the
endpoint cannot be read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import asdict, dataclass
from typing import Any, TextIO
from urllib.parse import quote

from mockserver.errors import UsageError
from mockserver.settings import DEV_TOKEN, api_token_from_environment
from mockserver.tools import fingerprint
from mockserver.tools import revision as revisions
from mockserver.tools.upstream import (
    TOKEN_VARIABLE,
    Upstream,
    UpstreamError,
    add_client_options,
    index_url,
    scrub,
)

AGREES, DIFFERS, UNKNOWN = "as Ransack", "DIFFERS", "inconclusive"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def ids(self) -> list[Any] | None:
        data = self.json()
        if self.status != 200 or not isinstance(data, list):
            return None
        return [r.get("id") for r in data if isinstance(r, dict)]


@dataclass(frozen=True)
class Finding:
    """One row of the report."""

    behaviour: str
    endpoint: str
    doc: str
    ransack: str
    verdict: str


# Every GET the survey may send, in order, one label each: the help's count comes from here,
# and ``Prober.get`` refuses a label not listed, so the two cannot drift apart.
SURVEY: tuple[str, ...] = (
    "unfiltered index",
    "_cont with swapped case",
    "_cont plain",
    "_cont padded with whitespace",
    "_cont with a _ wildcard",
    "blank value",
    "cert_expiry_gt",
    "cert_expiry_lt",
    "score_eq=abc",
    "invalid date",
    "unknown parameters",
    ".json suffix",
    "absent id",
    "non-numeric id",
    "numeric-prefix id",
    "no token",
    'auth header Token token="T"',
    "auth header Token token=T",
    "auth header Bearer T",
    "lower-case auth scheme",
)
PROBES: tuple[str, ...] = SURVEY + fingerprint.SAFE_PROBES + fingerprint.ERROR_PROBES + revisions.PROBES
AUTH_FORMS = ('Token token="{t}"', "Token token={t}", "Bearer {t}")


class Prober:
    """GETs against one endpoint through ``upstream.Upstream`` (no retries: a probe reports what
    the endpoint does), with the token in the standard header unless told otherwise."""

    def __init__(self, url: str, token: str, timeout: float) -> None:
        self.url = index_url(url, "URL")
        self.token = token
        self.timeout = timeout
        self.upstream = Upstream(self.url, token, timeout=timeout, retries=0, concurrency=1)
        self.asked: list[str] = []

    @property
    def sent(self) -> int:
        return self.upstream.sent

    async def get(
        self,
        probe: str,
        target: str = "",
        query: str = "",
        auth: str | bool = True,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """One labelled GET (``auth``: True the token header, False none, a string that value)."""
        assert probe in PROBES, f"unlisted probe {probe!r}: add it to PROBES"
        self.asked.append(probe)
        try:
            answer = await self.upstream.get(target, query, authorization=auth, headers=headers)
        except UpstreamError as exc:
            raise UsageError(f"cannot reach {self.url}: {scrub(exc.reason, self.token)}") from None
        body = answer.body  # the report quotes bodies: a token the endpoint reflects is scrubbed
        if self.token:
            body = scrub(body.decode("utf-8", "surrogateescape"), self.token).encode(
                "utf-8", "surrogateescape"
            )
        return Answer(answer.status, {k.lower(): v for k, v in answer.headers.items()}, body)


def _q(key: str, value: str) -> str:
    return f"{key}={quote(value, safe='')}"


def _verdict(ok: bool | None) -> str:
    return UNKNOWN if ok is None else AGREES if ok else DIFFERS


@dataclass
class Report:
    """Everything one run found: the survey, the generation fingerprint and pagination."""

    findings: list[Finding]
    observations: list[fingerprint.Observation]
    ranking: list[fingerprint.Ranked]
    pagination: fingerprint.Pagination | None
    revision: revisions.RevisionFinding | None = None  # the doc revision served (tools/revision.py)


async def run_probes(prober: Prober, allow_errors: bool = False) -> Report:
    """Every probe, in the order of the report, then the fingerprint."""
    index = await prober.get("unfiltered index", headers=fingerprint.JSON_ACCEPT)
    if index.status != 200 or index.ids() is None:
        body = index.body[:120].decode("utf-8", "replace").strip() or "(empty body)"
        raise UsageError(
            f"the unfiltered index answered {index.status} {body!r}; check the URL and the token "
            f"(--api-token or {TOKEN_VARIABLE})"
        )
    records: list[dict[str, Any]] = index.json()
    all_ids = index.ids() or []
    out: list[Finding] = []

    def add(behaviour: str, endpoint: str, doc: str, ransack: str, ok: bool | None) -> None:
        out.append(Finding(behaviour, endpoint, doc, ransack, _verdict(ok)))

    ordered = all_ids == sorted(all_ids, reverse=True)
    add(
        "index order",
        "id descending" if ordered else "not id descending",
        "(not stated)",
        "ORDER BY id DESC",
        ordered,
    )
    ctype = index.headers.get("content-type", "")
    add(
        "index Content-Type",
        ctype or "(none)",
        "JSON",
        "application/json; charset=utf-8",
        ctype.replace(" ", "").lower() == "application/json;charset=utf-8",
    )

    names = [
        r["full_name"] for r in records if isinstance(r.get("full_name"), str) and len(r["full_name"]) > 3
    ]
    if names:
        name = names[0]
        sub = name[1:4]
        want = {r["id"] for r in records if sub.lower() in str(r.get("full_name", "")).lower()}
        got = set(
            (await prober.get("_cont with swapped case", query=_q("full_name_cont", sub.swapcase()))).ids()
            or []
        )
        case_ok = want <= got
        add(
            "_cont case-insensitive",
            "yes" if case_ok else "no (case-sensitive)",
            "(not stated)",
            "ILIKE: yes",
            case_ok,
        )
        plain = set((await prober.get("_cont plain", query=_q("full_name_cont", sub))).ids() or [])
        padded = set(
            (await prober.get("_cont padded with whitespace", query=_q("full_name_cont", f"  {sub}\t"))).ids()
            or []
        )
        add(
            "whitespace stripped",
            "yes" if padded == plain else "no",
            "(not stated)",
            "yes (Ruby strip, ASCII only)",
            padded == plain,
        )
        wild = sub[0] + "_" + sub[2:]
        literal = {r["id"] for r in records if wild.lower() in str(r.get("full_name", "")).lower()}
        wild_got = set(
            (await prober.get("_cont with a _ wildcard", query=_q("full_name_cont", wild))).ids() or []
        )
        add(
            "_ and % literal in _cont",
            "literal" if wild_got == literal else "wildcard",
            "(not stated)",
            "literal (escaped)",
            wild_got == literal,
        )
    blank = (await prober.get("blank value", query="full_name_cont=")).ids()
    add(
        "blank value",
        "no filter" if blank == all_ids else "filters",
        "(not stated)",
        "condition dropped (never 'match empty')",
        blank == all_ids,
    )

    expiries = sorted({r["cert_expiry"] for r in records if r.get("cert_expiry")})
    if expiries:
        day = max(expiries, key=lambda d: sum(r.get("cert_expiry") == d for r in records))
        on_day = {r["id"] for r in records if r.get("cert_expiry") == day}
        gt = set((await prober.get("cert_expiry_gt", query=_q("cert_expiry_gt", day))).ids() or [])
        lt = set((await prober.get("cert_expiry_lt", query=_q("cert_expiry_lt", day))).ids() or [])
        add(
            "cert_expiry_gt on a present date",
            "strict >" if not gt & on_day else "inclusive >=",
            "greater or equal",
            "strict >",
            not gt & on_day,
        )
        add(
            "cert_expiry_lt on a present date",
            "strict <" if not lt & on_day else "inclusive <=",
            "less than or equal",
            "strict <",
            not lt & on_day,
        )
    zero = {r["id"] for r in records if r.get("score") == 0}
    abc = set((await prober.get("score_eq=abc", query="score_eq=abc")).ids() or [])
    add(
        "score_eq=abc",
        "score 0" if abc == zero else ("no filter" if abc == set(all_ids) else "other"),
        "(not stated)",
        "to_i: means 0",
        abc == zero,
    )
    bad_date = (await prober.get("invalid date", query="completion_date_gteq=2015-02-30")).ids()
    add(
        "invalid date",
        "no filter" if bad_date == all_ids else f"status/filter ({len(bad_date or [])} rows)",
        "YYYY-MM-DD",
        "condition dropped",
        bad_date == all_ids,
    )
    unknown = (await prober.get("unknown parameters", query="score=80&page=2")).ids()
    add(
        "unknown parameters (score=80, page=2)",
        "ignored" if unknown == all_ids else "not ignored",
        "sample request uses score=80",
        "ignored",
        unknown == all_ids,
    )
    suffix = (await prober.get(".json suffix", target=".json")).ids()
    add(
        ".json suffix",
        "same index" if suffix == all_ids else "differs",
        "accepted",
        "same as no suffix",
        suffix == all_ids,
    )

    missing = await prober.get("absent id", target=f"/{max(all_ids, default=0) + 1}")
    expected_404 = {"status": 404, "error": "Not Found"}
    add(
        "404 body (absent id)",
        f"{missing.status} {missing.body[:60].decode('utf-8', 'replace')}",
        "(not stated)",
        '404 {"status":404,"error":"Not Found"}',
        missing.status == 404 and missing.json() == expected_404,
    )
    word = await prober.get("non-numeric id", target="/abc")
    add("non-numeric id", f"{word.status}", "(not stated)", "404", word.status == 404)
    if all_ids:
        prefixed = await prober.get("numeric-prefix id", target=f"/{all_ids[0]}abc")
        add(
            "id with a numeric prefix (3abc)",
            f"{prefixed.status}",
            "(not stated)",
            "200 (to_i)",
            prefixed.status == 200,
        )

    def denied(answer: Answer) -> bool:
        return (
            answer.status == 401
            and answer.body == b"HTTP Token: Access denied.\n"
            and answer.headers.get("www-authenticate") == 'Token realm="Application"'
        )

    none = await prober.get("no token", auth=False)
    add(
        "no token",
        f"{none.status} {none.body[:40]!r}",
        '401 "HTTP Token: Access denied."',
        '401, text/plain, WWW-Authenticate: Token realm="Application"',
        denied(none),
    )
    for form in AUTH_FORMS:
        answer = await prober.get(f"auth header {form.format(t='T')}", auth=form.format(t=prober.token))
        add(
            f"auth header {form.format(t='T')}",
            str(answer.status),
            "accepted" if form.startswith('Token token="') else "(not stated)",
            "200",
            answer.ids() == all_ids,
        )
    lower = await prober.get("lower-case auth scheme", auth=f'token token="{prober.token}"')
    add(
        "auth scheme lower-case (token ...)",
        str(lower.status),
        "(not stated)",
        "401 (case-sensitive)",
        denied(lower),
    )
    observations = await fingerprint.observe(prober.get, index, prober.token, allow_errors)
    code = next((r["course_code"] for r in records if isinstance(r.get("course_code"), str)), "WHMIS")
    revision = await revisions.detect(prober.get, quote(code, safe=""))
    return Report(
        out, observations, fingerprint.rank(observations), fingerprint.pagination_of(index), revision
    )


def render_table(findings: list[Finding]) -> str:
    columns = ("behaviour", "endpoint", "doc", "ransack", "verdict")
    rows = [columns] + [tuple(getattr(f, c) for c in columns) for f in findings]
    widths = [min(44, max(len(r[i]) for r in rows)) for i in range(len(columns))]

    def line(row: tuple[str, ...]) -> str:
        cells = [(c if len(c) <= w else c[: w - 1] + "…").ljust(w) for c, w in zip(row, widths, strict=True)]
        return " | ".join(cells).rstrip()

    return "\n".join([line(rows[0]), "-+-".join("-" * w for w in widths)] + [line(r) for r in rows[1:]])


def cmd_probe(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    token = args.api_token or api_token_from_environment() or DEV_TOKEN
    prober = Prober(args.url, token, args.timeout)
    started = time.monotonic()

    async def survey() -> Report:
        async with prober.upstream:
            return await run_probes(prober, args.allow_errors)

    report = asyncio.run(survey())
    findings = report.findings
    differs = sum(f.verdict == DIFFERS for f in findings)
    consistent = [r for r in report.ranking if r.consistent]
    if args.json:
        print(
            json.dumps(
                {
                    "url": args.url,
                    "requests": prober.sent,
                    "differs": differs,
                    "findings": [asdict(f) for f in findings],
                    **fingerprint.as_json(report.observations, report.ranking),
                    "pagination": asdict(report.pagination) if report.pagination else None,
                    "api_revision": report.revision.as_json() if report.revision else None,
                },
                indent=2,
                ensure_ascii=False,
            ),
            file=out,
        )
    else:
        print(render_table(findings), file=out)
        print(fingerprint.render(report.observations, report.ranking, args.allow_errors), file=out)
        page = report.pagination
        print(
            "pagination: none"
            if page is None
            else f"pagination: Per-Page {page.per_page}, Total {page.total}, Link {page.link} "
            "(page=N selects a page; the survey above read only the first)",
            file=out,
        )
        if report.revision is not None:
            print(report.revision.render(), file=out)
        print(
            f"\nmockserver: {len(findings)} behaviours, {differs} differ from Ransack "
            f"({prober.sent} GET requests, {time.monotonic() - started:.1f}s)",
            file=out,
        )
    # 1 when a behaviour differs from today's Ransack, or no generation explains the answers
    return 1 if differs or not consistent else 0


def register(subparsers: Any) -> None:
    """Add ``probe`` to the CLI."""
    p = subparsers.add_parser(
        "probe",
        help=f"survey an endpoint's behaviours (read-only, at most {len(PROBES)} GETs)",
        description="Run a short read-only set of probes and report, per behaviour a client "
        "depends on, what the endpoint did and what the doc and Ransack say. "
        "Then identify the Rails/Ransack generation (stack-generations.md §7) and print the "
        "--stack to serve the mock with, and whether the index paginates. "
        "Exit 1 when a behaviour differs from today's Ransack or no generation fits.",
    )
    p.add_argument("url", metavar="URL", help="the endpoint, e.g. http://127.0.0.1:3000/api/train_sessions")
    add_client_options(p, "timeout", token_default=DEV_TOKEN, defaults={"timeout": 10.0})
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.add_argument(
        "--allow-errors",
        action="store_true",
        help="also send the fingerprint's decisive requests, which make older generations log a "
        "500 (an out-of-range score, invalid UTF-8, an embedded NUL); still read-only GETs",
    )
    p.set_defaults(run=cmd_probe)
