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
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO
from urllib.parse import quote

from mockserver.errors import UsageError
from mockserver.settings import DEV_TOKEN, api_token_from_environment
from mockserver.tools import fingerprint
from mockserver.tools import revision as revisions
from mockserver.tools.upstream import (
    TOKEN_VARIABLE,
    Answer,
    Upstream,
    UpstreamError,
    add_client_options,
    excerpt,
    index_url,
    scrub,
)

AGREES, DIFFERS, UNKNOWN = "as Ransack", "DIFFERS", "inconclusive"
DENIED_BODY = b"HTTP Token: Access denied.\n"
CHALLENGE = 'Token realm="Application"'
NOT_FOUND = {"status": 404, "error": "Not Found"}


@dataclass(frozen=True)
class Finding:
    """One row of the report."""

    behaviour: str
    endpoint: str
    doc: str
    ransack: str
    verdict: str


def finding(behaviour: str, endpoint: str, doc: str, ransack: str, ok: bool | None) -> Finding:
    return Finding(behaviour, endpoint, doc, ransack, UNKNOWN if ok is None else AGREES if ok else DIFFERS)


@dataclass(frozen=True)
class Get:
    """One survey GET: a path suffix, a raw query, and the Authorization (True: the token)."""

    target: str = ""
    query: str = ""
    auth: str | bool = True


@dataclass
class Survey:
    """What the survey's GETs are built from (the unfiltered index) and the answers so far."""

    index: Answer
    token: str
    answers: dict[str, Answer] = field(default_factory=dict)

    @property
    def records(self) -> list[dict[str, Any]]:
        data = self.index.json()
        return [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []

    @property
    def ids(self) -> list[Any]:
        return self.index.ids() or []

    def where(self, test: Callable[[dict[str, Any]], bool]) -> set[Any]:
        return {r.get("id") for r in self.records if test(r)}

    def part(self) -> str | None:
        """Three letters from inside a full name, for the _cont probes."""
        names = [r["full_name"] for r in self.records if isinstance(r.get("full_name"), str)]
        return next((n[1:4] for n in names if len(n) > 3), None)

    def expiry(self) -> str | None:
        """The most common cert_expiry, for the strictness of _gt and _lt."""
        days = [r["cert_expiry"] for r in self.records if r.get("cert_expiry")]
        return max(sorted(set(days)), key=days.count) if days else None

    def ids_of(self, label: str) -> set[Any]:
        return set(self.answers[label].ids() or [])


Judge = Callable[[Answer, Survey], list[Finding]]


@dataclass(frozen=True)
class SurveyProbe:
    """A row of the survey: the GET's label, its request (None: the data cannot ask it) and the
    judge that turns the answer into report rows."""

    label: str
    request: Callable[[Survey], Get | None]
    judge: Judge


def _q(key: str, value: str) -> str:
    return f"{key}={quote(value, safe='')}"


def _cont(value: Callable[[str], str]) -> Callable[[Survey], Get | None]:
    """A full_name_cont GET whose value is made from the name part (none without names)."""
    return lambda s: None if (p := s.part()) is None else Get(query=_q("full_name_cont", value(p)))


def _expiry(key: str) -> Callable[[Survey], Get | None]:
    return lambda s: None if (day := s.expiry()) is None else Get(query=_q(key, day))


def _index(answer: Answer, s: Survey) -> list[Finding]:
    ordered = s.ids == sorted(s.ids, reverse=True)
    ctype = answer.header("content-type") or ""
    return [
        finding(
            "index order",
            "id descending" if ordered else "not id descending",
            "(not stated)",
            "ORDER BY id DESC",
            ordered,
        ),
        finding(
            "index Content-Type",
            ctype or "(none)",
            "JSON",
            "application/json; charset=utf-8",
            ctype.replace(" ", "").lower() == "application/json;charset=utf-8",
        ),
    ]


def _case(answer: Answer, s: Survey) -> list[Finding]:
    part = (s.part() or "").lower()
    ok = s.where(lambda r: part in str(r.get("full_name", "")).lower()) <= set(answer.ids() or [])
    return [
        finding(
            "_cont case-insensitive", "yes" if ok else "no (case-sensitive)", "(not stated)", "ILIKE: yes", ok
        )
    ]


def _padded(answer: Answer, s: Survey) -> list[Finding]:
    same = set(answer.ids() or []) == s.ids_of("_cont plain")
    return [
        finding(
            "whitespace stripped",
            "yes" if same else "no",
            "(not stated)",
            "yes (Ruby strip, ASCII only)",
            same,
        )
    ]


def _wildcard(answer: Answer, s: Survey) -> list[Finding]:
    part = s.part() or ""
    wild = (part[0] + "_" + part[2:]).lower()
    literal = set(answer.ids() or []) == s.where(lambda r: wild in str(r.get("full_name", "")).lower())
    return [
        finding(
            "_ and % literal in _cont",
            "literal" if literal else "wildcard",
            "(not stated)",
            "literal (escaped)",
            literal,
        )
    ]


def _no_filter(behaviour: str, doc: str, ransack: str, seen: tuple[str, str]) -> Judge:
    """The answer must be the unfiltered index: the condition, key or suffix changes nothing
    (``seen``: what the report says when it does not, and when it does)."""

    def judge(answer: Answer, s: Survey) -> list[Finding]:
        same = answer.ids() == s.ids
        other = seen[1].format(rows=len(answer.ids() or []))
        return [finding(behaviour, seen[0] if same else other, doc, ransack, same)]

    return judge


def _strict(which: str, doc: str, strict: str, inclusive: str) -> Judge:
    def judge(answer: Answer, s: Survey) -> list[Finding]:
        day = s.expiry()
        ok = not set(answer.ids() or []) & s.where(lambda r: r.get("cert_expiry") == day)
        return [
            finding(f"cert_expiry_{which} on a present date", strict if ok else inclusive, doc, strict, ok)
        ]

    return judge


def _abc(answer: Answer, s: Survey) -> list[Finding]:
    got, zero = set(answer.ids() or []), s.where(lambda r: r.get("score") == 0)
    seen = "score 0" if got == zero else ("no filter" if got == set(s.ids) else "other")
    return [finding("score_eq=abc", seen, "(not stated)", "to_i: means 0", got == zero)]


def _absent(answer: Answer, s: Survey) -> list[Finding]:
    ok = answer.status == 404 and answer.json() == NOT_FOUND
    seen = f"{answer.status} {answer.body[:60].decode('utf-8', 'replace')}"
    return [
        finding("404 body (absent id)", seen, "(not stated)", '404 {"status":404,"error":"Not Found"}', ok)
    ]


def _status(behaviour: str, status: int, ransack: str) -> Judge:
    return lambda a, s: [finding(behaviour, str(a.status), "(not stated)", ransack, a.status == status)]


def _denied(answer: Answer) -> bool:
    return (
        answer.status == 401 and answer.body == DENIED_BODY and answer.header("www-authenticate") == CHALLENGE
    )


def _no_token(answer: Answer, s: Survey) -> list[Finding]:
    return [
        finding(
            "no token",
            f"{answer.status} {answer.body[:40]!r}",
            '401 "HTTP Token: Access denied."',
            f"401, text/plain, WWW-Authenticate: {CHALLENGE}",
            _denied(answer),
        )
    ]


def _auth_form(form: str) -> SurveyProbe:
    shown = f"auth header {form.format(t='T')}"
    doc = "accepted" if form.startswith('Token token="') else "(not stated)"
    return SurveyProbe(
        shown,
        lambda s: Get(auth=form.format(t=s.token)),
        lambda a, s: [finding(shown, str(a.status), doc, "200", a.ids() == s.ids)],
    )


AUTH_FORMS = ('Token token="{t}"', "Token token={t}", "Bearer {t}")
# The survey after the unfiltered index, in the order of the report: one row per GET.
SURVEY_PROBES: tuple[SurveyProbe, ...] = (
    SurveyProbe("_cont with swapped case", _cont(str.swapcase), _case),
    SurveyProbe("_cont plain", _cont(lambda p: p), lambda a, s: []),  # the padded probe's reference
    SurveyProbe("_cont padded with whitespace", _cont(lambda p: f"  {p}\t"), _padded),
    SurveyProbe("_cont with a _ wildcard", _cont(lambda p: p[0] + "_" + p[2:]), _wildcard),
    SurveyProbe(
        "blank value",
        lambda s: Get(query="full_name_cont="),
        _no_filter(
            "blank value", "(not stated)", "condition dropped (never 'match empty')", ("no filter", "filters")
        ),
    ),
    SurveyProbe(
        "cert_expiry_gt",
        _expiry("cert_expiry_gt"),
        _strict("gt", "greater or equal", "strict >", "inclusive >="),
    ),
    SurveyProbe(
        "cert_expiry_lt",
        _expiry("cert_expiry_lt"),
        _strict("lt", "less than or equal", "strict <", "inclusive <="),
    ),
    SurveyProbe("score_eq=abc", lambda s: Get(query="score_eq=abc"), _abc),
    SurveyProbe(
        "invalid date",
        lambda s: Get(query="completion_date_gteq=2015-02-30"),
        _no_filter(
            "invalid date", "YYYY-MM-DD", "condition dropped", ("no filter", "status/filter ({rows} rows)")
        ),
    ),
    SurveyProbe(
        "unknown parameters",
        lambda s: Get(query="score=80&page=2"),
        _no_filter(
            "unknown parameters (score=80, page=2)",
            "sample request uses score=80",
            "ignored",
            ("ignored", "not ignored"),
        ),
    ),
    SurveyProbe(
        ".json suffix",
        lambda s: Get(target=".json"),
        _no_filter(".json suffix", "accepted", "same as no suffix", ("same index", "differs")),
    ),
    SurveyProbe("absent id", lambda s: Get(target=f"/{max(s.ids, default=0) + 1}"), _absent),
    SurveyProbe("non-numeric id", lambda s: Get(target="/abc"), _status("non-numeric id", 404, "404")),
    SurveyProbe(
        "numeric-prefix id",
        lambda s: Get(target=f"/{s.ids[0]}abc") if s.ids else None,
        _status("id with a numeric prefix (3abc)", 200, "200 (to_i)"),
    ),
    SurveyProbe("no token", lambda s: Get(auth=False), _no_token),
    *(_auth_form(form) for form in AUTH_FORMS),
    SurveyProbe(
        "lower-case auth scheme",
        lambda s: Get(auth=f'token token="{s.token}"'),
        lambda a, s: [
            finding(
                "auth scheme lower-case (token ...)",
                str(a.status),
                "(not stated)",
                "401 (case-sensitive)",
                _denied(a),
            )
        ],
    ),
)
# Every GET probe may send, in order, one label each: the help's count comes from here, and
# ``Prober.get`` refuses a label not listed, so the two cannot drift apart.
SURVEY: tuple[str, ...] = ("unfiltered index", *(p.label for p in SURVEY_PROBES))
PROBES: tuple[str, ...] = SURVEY + fingerprint.LABELS + revisions.PROBES


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
        found = Answer.of(answer)
        if not self.token:
            return found
        # the report quotes bodies: a token the endpoint reflects is scrubbed
        text = scrub(found.body.decode("utf-8", "surrogateescape"), self.token)
        body = text.encode("utf-8", "surrogateescape")
        return Answer(found.status, found.headers, body)


@dataclass
class Report:
    """Everything one run found: the survey, the generation fingerprint and pagination."""

    findings: list[Finding]
    observations: list[fingerprint.Observation]
    ranking: list[fingerprint.Ranked]
    pagination: fingerprint.Pagination | None
    revision: revisions.RevisionFinding | None = None  # the doc revision served (tools/revision.py)


async def run_probes(prober: Prober, allow_errors: bool = False) -> Report:
    """The unfiltered index, every survey probe the data allows, in the order of the report,
    then the fingerprint."""
    index = await prober.get("unfiltered index", headers=fingerprint.JSON_ACCEPT)
    if index.status != 200 or index.ids() is None:
        body = excerpt(index.body, 120, lambda text: scrub(text, prober.token)).strip() or "(empty body)"
        raise UsageError(
            f"the unfiltered index answered {index.status} {body!r}; check the URL and the token "
            f"(--api-token or {TOKEN_VARIABLE})"
        )
    survey = Survey(index, prober.token, {"unfiltered index": index})
    findings = _index(index, survey)
    for probe in SURVEY_PROBES:
        request = probe.request(survey)
        if request is not None:
            answer = await prober.get(probe.label, request.target, request.query, request.auth)
            survey.answers[probe.label] = answer
            findings += probe.judge(answer, survey)
    observations = await fingerprint.observe(prober.get, index, prober.token, allow_errors)
    codes = [r.get("course_code") for r in survey.records]  # one that is a path segment ("" is none)
    code = next((c for c in codes if isinstance(c, str) and c not in ("", ".", "..")), "WHMIS")
    revision = await revisions.detect(prober.get, quote(code, safe=""))
    ranking = fingerprint.rank(observations)
    return Report(findings, observations, ranking, fingerprint.pagination_of(index), revision)


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
        "Then identify the Rails/Ransack generation (one of `mockserver serve --stack list`) "
        "from the quirks its answers show, and print the "
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
