"""The generation fingerprint: a dozen read-only GETs (``docs/mock/stack-generations.md``), each observing
one quirk of ``schemas/stacks.json`` as present (the old behaviour), absent (today's) or unknown.

The one fingerprint of the project: the suite's ``auto`` runs it with its own client, and
``mockserver probe`` runs the same table with its asynchronous one (the tools may import the
suite; the suite imports nothing from the mock). A probe is a row: a label, the request (built
from the unfiltered index, or None when the data cannot ask it) and a judge. A judge predicts
from the data what each side of the quirk would answer, so a probe cannot be fooled by data
(a name holding a tab, an empty name, an empty account): when both sides would answer the same,
the quirk is unknown. Probes that make some generation log a 500 are marked ``may_error``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

from .oracle import pg_lower

STANDARD_AUTH = 'Token token="{token}"'
JSON = "application/json"


class Answer(Protocol):
    """What a judge reads of an answer: the suite's ``Response`` and probe's ``Answer`` both are."""

    status: int
    body: bytes

    def header(self, name: str) -> str | None: ...


@dataclass(frozen=True)
class Request:
    """One GET of the index (``suffix`` after its path: ``/0`` is show); ``query`` is sent as is."""

    suffix: str = ""
    query: str = ""
    auth: str | None = STANDARD_AUTH  # a template with {token}; None sends no Authorization
    accept: str = JSON
    may_error: bool = False  # some generation answers it with a 500 (and logs it)

    def authorization(self, token: str) -> str | None:
        return None if self.auth is None else self.auth.format(token=token)


@dataclass(frozen=True)
class Baseline:
    """The unfiltered index: what the probes are built from and judged against."""

    status: int
    headers: Callable[[str], str | None]
    first_page: bytes  # the body the ETag is computed over
    records: Sequence[Any]
    source: Any = None  # the answer itself, the evidence of the observations read from it

    @property
    def names(self) -> list[str]:
        return [
            r["full_name"]
            for r in self.records
            if isinstance(r, dict) and isinstance(r.get("full_name"), str)
        ]

    @property
    def total(self) -> int:
        total = self.headers("Total") or ""
        return int(total) if total.isascii() and total.isdigit() else len(self.records)

    @property
    def complete(self) -> bool:
        """Whether ``records`` are every row (not only a paginated index's first page)."""
        return self.total == len(self.records)


@dataclass(frozen=True)
class Observation:
    """One quirk as the endpoint showed it: present, absent or unknown (None)."""

    quirk: str
    present: bool | None
    evidence: str
    responses: tuple[Any, ...] = field(default=(), compare=False)


Judge = Callable[[Answer | None, Baseline], tuple[bool | None, str]]


@dataclass(frozen=True)
class Probe:
    """A row of the fingerprint: what it observes, the GET (None: read the baseline's headers;
    a function: built from the data, None when the data cannot ask it) and how it is judged."""

    quirk: str
    label: str
    request: Request | Callable[[Baseline], Request | None] | None
    judge: Judge

    def request_for(self, baseline: Baseline) -> Request | None:
        return self.request(baseline) if callable(self.request) else self.request

    def observe(self, answer: Answer | None, baseline: Baseline) -> Observation:
        present, evidence = self.judge(answer, baseline)
        seen = answer if answer is not None else baseline.source
        return Observation(self.quirk, present, evidence, (seen,) if seen is not None else ())


def count(answer: Answer) -> int | None:
    """Rows selected: the ``Total`` header when paginated, else the JSON body's length."""
    total = answer.header("Total") or ""
    if answer.status == 200 and total.isascii() and total.isdigit():
        return int(total)
    try:
        body = json.loads(answer.body) if answer.status == 200 else None
    except ValueError:
        return None
    return len(body) if isinstance(body, list) else None


Prediction = Callable[[Baseline], int | None]  # rows one side selects; None: the data cannot say


def by_count(old: Prediction, modern: Prediction, what: str) -> Judge:
    """Present when the answer selects the rows the old behaviour predicts, absent when today's;
    unknown when the data makes both predict the same, cannot predict, or the answer is neither."""

    def judge(answer: Answer | None, baseline: Baseline) -> tuple[bool | None, str]:
        assert answer is not None
        seen, if_old, if_modern = count(answer), old(baseline), modern(baseline)
        present = None
        if if_old != if_modern and seen is not None:
            present = True if seen == if_old else False if seen == if_modern else None
        guess = ", ".join(
            f"{n} if {side}" for n, side in ((if_old, "old"), (if_modern, "modern")) if n is not None
        )
        return present, f"{what}: {seen} rows" + (f" ({guess})" if guess else " (the data cannot tell)")

    return judge


def by_status(old: int, modern: int, what: str) -> Judge:
    def judge(answer: Answer | None, baseline: Baseline) -> tuple[bool | None, str]:
        assert answer is not None
        present = True if answer.status == old else False if answer.status == modern else None
        return present, f"{what}: {answer.status}"

    return judge


def _etag(answer: Answer | None, baseline: Baseline) -> tuple[bool | None, str]:
    etag = baseline.headers("ETag") or ""
    md5 = f'W/"{hashlib.md5(baseline.first_page).hexdigest()}"'  # Rack 1.x's digest, not security
    sha = f'W/"{hashlib.sha256(baseline.first_page).hexdigest()[:32]}"'
    return (True if etag == md5 else False if etag == sha else None), f"ETag {etag or '(none)'}"


def _referrer(answer: Answer | None, baseline: Baseline) -> tuple[bool | None, str]:
    referrer = baseline.headers("Referrer-Policy")
    return referrer is None, f"Referrer-Policy {referrer!r}" if referrer else "no Referrer-Policy"


def _vary(answer: Answer | None, baseline: Baseline) -> tuple[bool | None, str]:
    vary = baseline.headers("Vary") or ""
    return "accept" not in vary.lower(), f"Vary {vary!r}" if vary else "no Vary"


def _word(baseline: Baseline) -> str | None:
    """Four letters a name starts with, for the padded probe."""
    return next((n[:4] for n in baseline.names if len(n) >= 4 and n[:4].isalnum()), None)


def _padded(baseline: Baseline) -> Request | None:
    word = _word(baseline)
    return None if word is None else Request(query=f"full_name_cont=%09{quote(word, safe='')}")


def _containing(text: str) -> Prediction:
    """Names containing ``text`` case-insensitively (None when only the first page is known)."""
    return lambda b: sum(pg_lower(text) in pg_lower(n) for n in b.names) if b.complete else None


def _strip_judge(answer: Answer | None, baseline: Baseline) -> tuple[bool | None, str]:
    word = _word(baseline) or ""
    return by_count(_containing("\t" + word), _containing(word), f"full_name_cont=%09{word}")(
        answer, baseline
    )


def _denied_format(answer: Answer | None, baseline: Baseline) -> tuple[bool | None, str]:
    assert answer is not None
    media = (answer.header("Content-Type") or "").split(";")[0].strip().lower()
    present = {"text/html": True, "text/plain": False}.get(media) if answer.status == 401 else None
    return present, f"no token, Accept */*: {answer.status} {media or '(no Content-Type)'}"


def _error_status(answer: Answer | None, baseline: Baseline) -> tuple[bool | None, str]:
    assert answer is not None
    try:
        body = json.loads(answer.body)
    except ValueError:
        body = None
    status = body.get("status") if isinstance(body, dict) else None
    present = True if status == "404" else False if status == 404 else None
    return present, f"GET .../0.json: {answer.status}, status {status!r}"


PROBES: tuple[Probe, ...] = (
    Probe("md5_etag", "fingerprint: ETag", None, _etag),
    Probe("fewer_security_headers", "fingerprint: Referrer-Policy", None, _referrer),
    Probe("no_vary_accept", "fingerprint: Vary", None, _vary),
    Probe(
        "underscore_wildcard",
        "fingerprint: _ wildcard",
        Request(query="full_name_cont=_"),
        # ILIKE '%_%' with `_` a wildcard is any name of one character or more
        by_count(
            lambda b: sum(n != "" for n in b.names) if b.complete else None,
            _containing("_"),
            "full_name_cont=_",
        ),
    ),
    Probe("no_strip", "fingerprint: tab-padded _cont", _padded, _strip_judge),
    Probe(
        "i_cont_ignored",
        "fingerprint: _i_cont",
        Request(query="full_name_i_cont=zzqqnomatch"),
        by_count(lambda b: b.total, _containing("zzqqnomatch"), "full_name_i_cont=zzqqnomatch"),
    ),
    Probe("string_error_status", "fingerprint: JSON 404 body", Request(suffix="/0.json"), _error_status),
    Probe(
        "strict_token_scheme",
        "fingerprint: Bearer",
        Request(auth="Bearer {token}"),
        by_status(401, 200, "Authorization: Bearer"),
    ),
    Probe(
        "unauthorized_as_format",
        "fingerprint: 401 for Accept */*",
        Request(auth=None, accept="*/*"),
        _denied_format,
    ),
    Probe(
        "bad_accept_ignored",
        "fingerprint: Accept foo",
        Request(accept="foo"),
        by_status(200, 406, "Accept: foo"),
    ),
    Probe(
        "casted_overflow_500",
        "fingerprint: score_lt overflow",
        Request(query="score_lt=2147483648", may_error=True),
        by_status(500, 200, "score_lt=2147483648"),
    ),
    Probe(
        "invalid_utf8_500",
        "fingerprint: invalid UTF-8",
        Request(query="full_name_cont=%FF", may_error=True),
        by_status(500, 400, "full_name_cont=%FF"),
    ),
    Probe(
        "nul_truncates",
        "fingerprint: embedded NUL",
        Request(query="full_name_cont=a%00b", may_error=True),
        by_status(200, 500, "full_name_cont=a%00b"),
    ),
)
LABELS = tuple(p.label for p in PROBES if p.request is not None)  # every GET the fingerprint may send
ERROR_LABELS = tuple(p.label for p in PROBES if isinstance(p.request, Request) and p.request.may_error)


def plan(baseline: Baseline, allow_errors: bool = True) -> list[tuple[Probe, Request | None]]:
    """The probes to run on this data, each with its GET (None: judged on the baseline alone);
    without ``allow_errors`` the ones that make some generation log a 500 are left out."""
    out: list[tuple[Probe, Request | None]] = []
    for probe in PROBES:
        request = probe.request_for(baseline)
        if probe.request is not None and request is None:
            continue  # the data cannot ask it: the quirk stays unobserved
        if request is not None and request.may_error and not allow_errors:
            continue
        out.append((probe, request))
    return out
