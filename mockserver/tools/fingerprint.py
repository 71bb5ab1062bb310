"""Which stack generation an endpoint runs, from read-only GETs (stack-generations.md §7).

Each probe observes one ``stacks.Quirk``: present (the old behaviour), absent (the modern
one) or unknown. What each generation must answer is ``stack.has(quirk)`` in ``stacks.STACKS``,
so no second table of expectations exists here. Probes that can make some generation log a
500 (an out-of-range integer, invalid UTF-8, an embedded NUL) are sent only when the caller
allows errors. Generations are ranked by agreeing observations, then by fewest unknowns (the
quirks a generation has that were not observed: an unverified assumption).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mockserver.stacks import QUIRKS, STACKS, Quirk, Stack

if TYPE_CHECKING:
    from mockserver.tools.probe import Answer

# The labels of the fingerprint's GETs; probe.PROBES lists them, so its help counts them.
SAFE_PROBES: tuple[str, ...] = (
    "fingerprint: _ wildcard",
    "fingerprint: tab-padded _cont",
    "fingerprint: _i_cont",
    "fingerprint: JSON 404 body",
    "fingerprint: Bearer",
    "fingerprint: 401 for Accept */*",
    "fingerprint: Accept foo",
)
ERROR_PROBES: tuple[str, ...] = (
    "fingerprint: score_lt overflow",
    "fingerprint: score_eq overflow",
    "fingerprint: invalid UTF-8",
    "fingerprint: embedded NUL",
)
JSON_ACCEPT = {"Accept": "application/json"}

Get = Callable[..., Awaitable["Answer"]]


@dataclass(frozen=True)
class Observation:
    """What one probe saw: the quirk present (True), absent (False) or unknown (None)."""

    quirk: Quirk
    present: bool | None
    evidence: str


@dataclass(frozen=True)
class Ranked:
    """One generation's score against the observations."""

    stack: Stack
    agree: int
    disagree: tuple[Quirk, ...]
    unknown: int

    @property
    def consistent(self) -> bool:
        return not self.disagree


@dataclass(frozen=True)
class Pagination:
    """The api-pagination gem's headers on the unfiltered index (stack-generations.md §4)."""

    per_page: str | None
    total: str | None
    link: str | None


def pagination_of(baseline: Answer) -> Pagination | None:
    """The pagination headers, or None when the index is not paginated."""
    found = Pagination(
        baseline.headers.get("per-page"), baseline.headers.get("total"), baseline.headers.get("link")
    )
    return found if any((found.per_page, found.total, found.link)) else None


def _count(answer: Answer) -> int | None:
    """Rows the answer selects: the Total header when paginated, else the body's length."""
    total = answer.headers.get("total", "")
    if answer.status == 200 and total.isascii() and total.isdigit():
        return int(total)
    ids = answer.ids()
    return None if ids is None else len(ids)


def _etag(baseline: Answer) -> Observation:
    etag = baseline.headers.get("etag", "")
    md5 = f'W/"{hashlib.md5(baseline.body).hexdigest()}"'  # Rack 1.x's digest, not security
    sha = f'W/"{hashlib.sha256(baseline.body).hexdigest()[:32]}"'
    present = True if etag == md5 else False if etag == sha else None
    return Observation(Quirk.MD5_ETAG, present, f"ETag {etag or '(none)'}")


def header_observations(baseline: Answer) -> list[Observation]:
    """Quirks read from the unfiltered index's headers alone (no extra request)."""
    vary = baseline.headers.get("vary", "")
    referrer = baseline.headers.get("referrer-policy")
    return [
        _etag(baseline),
        Observation(
            Quirk.FEWER_SECURITY_HEADERS,
            referrer is None,
            f"Referrer-Policy {referrer!r}" if referrer else "no Referrer-Policy",
        ),
        Observation(
            Quirk.NO_VARY_ACCEPT,
            "accept" not in vary.lower(),
            f"Vary {vary!r}" if vary else "no Vary",
        ),
    ]


def _by_status(
    quirk: Quirk, answer: Answer, old: int, modern: int, what: str
) -> Observation:  # one status means old, another modern, anything else unknown
    present = True if answer.status == old else False if answer.status == modern else None
    return Observation(quirk, present, f"{what}: {answer.status}")


async def observe(get: Get, baseline: Answer, token: str, allow_errors: bool) -> list[Observation]:
    """Every observation: header readings of ``baseline``, then one GET per probe."""
    out = header_observations(baseline)
    total = _count(baseline) or 0
    names: list[str] = []
    for record in baseline.json() or []:
        name = record.get("full_name") if isinstance(record, dict) else None
        if isinstance(name, str):
            names.append(name)

    wild = await get(SAFE_PROBES[0], query="full_name_cont=_", headers=JSON_ACCEPT)
    seen = _count(wild)
    plain = [n for n in names if "_" not in n]
    out.append(
        Observation(
            Quirk.UNDERSCORE_WILDCARD,
            None if seen is None or not plain else seen == total,
            f"full_name_cont=_: {seen} of {total} rows",
        )
    )
    word = next((n[:4] for n in names if len(n) >= 4 and n[:4].isalnum()), None)
    if word is not None:
        padded = await get(
            SAFE_PROBES[1], query=f"full_name_cont=%09{quote(word, safe='')}", headers=JSON_ACCEPT
        )
        seen = _count(padded)
        out.append(
            Observation(
                Quirk.NO_STRIP, None if seen is None else seen == 0, f"full_name_cont=%09{word}: {seen} rows"
            )
        )
    i_cont = await get(SAFE_PROBES[2], query="full_name_i_cont=zzqqnomatch", headers=JSON_ACCEPT)
    seen = _count(i_cont)
    out.append(
        Observation(
            Quirk.I_CONT_IGNORED,
            None if seen is None or not total else True if seen == total else False if seen == 0 else None,
            f"full_name_i_cont=zzqqnomatch: {seen} of {total} rows",
        )
    )
    missing = await get(SAFE_PROBES[3], target="/0.json")
    body = missing.json()
    status = body.get("status") if isinstance(body, dict) else None
    out.append(
        Observation(
            Quirk.STRING_ERROR_STATUS,
            True if status == "404" else False if status == 404 else None,
            f"GET /0.json: {missing.status} status {status!r}",
        )
    )
    bearer = await get(SAFE_PROBES[4], auth=f"Bearer {token}", headers=JSON_ACCEPT)
    out.append(_by_status(Quirk.STRICT_TOKEN_SCHEME, bearer, 401, 200, "Authorization: Bearer"))
    denied = await get(SAFE_PROBES[5], auth=False, headers={"Accept": "*/*"})
    media = denied.headers.get("content-type", "").split(";")[0].strip().lower()
    out.append(
        Observation(
            Quirk.UNAUTHORIZED_AS_FORMAT,
            {"text/html": True, "text/plain": False}.get(media) if denied.status == 401 else None,
            f"no token, Accept */*: {denied.status} {media or '(no Content-Type)'}",
        )
    )
    foo = await get(SAFE_PROBES[6], headers={"Accept": "foo"})
    out.append(_by_status(Quirk.BAD_ACCEPT_IGNORED, foo, 200, 406, "Accept: foo"))
    if allow_errors:
        lt = await get(ERROR_PROBES[0], query="score_lt=2147483648", headers=JSON_ACCEPT)
        eq = await get(ERROR_PROBES[1], query="score_eq=2147483648", headers=JSON_ACCEPT)
        statuses = {lt.status, eq.status}
        out.append(
            Observation(
                Quirk.CASTED_OVERFLOW_500,
                True if statuses == {500} else False if statuses == {200} else None,
                f"score_lt/score_eq=2147483648: {lt.status}/{eq.status}",
            )
        )
        utf8 = await get(ERROR_PROBES[2], query="full_name_cont=%FF", headers=JSON_ACCEPT)
        out.append(_by_status(Quirk.INVALID_UTF8_500, utf8, 500, 400, "full_name_cont=%FF"))
        nul = await get(ERROR_PROBES[3], query="full_name_cont=a%00b", headers=JSON_ACCEPT)
        out.append(_by_status(Quirk.NUL_TRUNCATES, nul, 200, 500, "full_name_cont=a%00b"))
    return out


def rank(observations: list[Observation]) -> list[Ranked]:
    """Every generation scored against the observations, best first."""
    known = {o.quirk: o.present for o in observations if o.present is not None}
    scored = []
    for stack in STACKS:
        disagree = tuple(q for q, present in known.items() if stack.has(q) != present)
        unknown = sum(q not in known for q in stack.quirks)
        scored.append(Ranked(stack, len(known) - len(disagree), disagree, unknown))
    order = {s.name: i for i, s in enumerate(STACKS)}
    return sorted(scored, key=lambda r: (-r.agree, r.unknown, order[r.stack.name]))


def unobserved(observations: list[Observation]) -> list[Quirk]:
    """The quirks no probe could tell (never probed, or an answer that fit neither side)."""
    known = {o.quirk for o in observations if o.present is not None}
    return [q for q in QUIRKS if q not in known]


def as_json(observations: list[Observation], ranking: list[Ranked]) -> dict[str, Any]:
    """The fingerprint part of ``probe --json``: ``stacks`` lists the consistent ones, best first."""
    return {
        "stacks": [r.stack.name for r in ranking if r.consistent],
        "generations": [
            {
                "name": r.stack.name,
                "consistent": r.consistent,
                "agree": r.agree,
                "disagree": [str(q) for q in r.disagree],
                "unknown": r.unknown,
            }
            for r in ranking
        ],
        "observations": [
            {"quirk": str(o.quirk), "present": o.present, "evidence": o.evidence} for o in observations
        ],
        "unobserved": [str(q) for q in unobserved(observations)],
    }


def render(observations: list[Observation], ranking: list[Ranked], allow_errors: bool) -> str:
    """The fingerprint part of the probe's text report."""
    lines = ["", "generation fingerprint (stack-generations.md §7):"]
    for o in observations:
        state = "unknown" if o.present is None else "old" if o.present else "modern"
        lines.append(f"  {o.quirk:<24} {state:<8} {o.evidence}")
    lines.append("generations, best first:")
    for r in ranking:
        verdict = "consistent" if r.consistent else "conflicts on " + ", ".join(r.disagree)
        lines.append(f"  {r.stack.name:<21} {r.agree} agree, {r.unknown} unknown: {verdict}")
    consistent = [r for r in ranking if r.consistent]
    if consistent:
        lines.append(f"use: mockserver serve --stack {consistent[0].stack.name}")
        if len(consistent) > 1 and not allow_errors:
            lines.append(
                "  (" + ", ".join(r.stack.name for r in consistent) + " differ only in answers that "
                "may log a 500 on the endpoint: --allow-errors tells them apart)"
            )
    else:
        lines.append("no generation answers like this: the endpoint mixes generations (see the conflicts)")
    return "\n".join(lines)
