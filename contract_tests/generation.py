"""Which Rails/Ransack generation the suite asserts: told (``--stack NAME``) or fingerprinted.

The generations and their quirks come from ``schemas/stacks.json`` (generated from the mock's
table, read here as data: the suite imports nothing from the mock). The fingerprint is the
suite's own: about twelve read-only GETs (stack-generations.md §7), each observing one quirk
as present (the old behaviour), absent (today's) or unknown. ``auto`` picks the generation that
agrees with every observation, preferring the one assuming the fewest unobserved quirks; when
none agrees, the endpoint mixes generations and the run fails naming the conflicts.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from .checks import ContractViolationError, schemas_dir
from .client import Client, Query, Response
from .oracle import Rules, pg_lower

AUTO = "auto"
STACKS_FILE = "stacks.json"


@dataclass(frozen=True)
class Generation:
    """One stack generation: its name and the quirks (old behaviours) it has."""

    name: str
    quirks: frozenset[str]

    def has(self, quirk: str) -> bool:
        return quirk in self.quirks

    @property
    def rules(self) -> Rules:
        """What the oracle and the checks assert on this generation."""
        return Rules(
            strip=not self.has("no_strip"),
            i_cont=not self.has("i_cont_ignored"),
            underscore_wildcard=self.has("underscore_wildcard"),
            overflow_500=self.has("casted_overflow_500"),
            invalid_utf8_500=self.has("invalid_utf8_500"),
            string_error_status=self.has("string_error_status"),
            strict_token_scheme=self.has("strict_token_scheme"),
            unauthorized_as_format=self.has("unauthorized_as_format"),
            bad_accept_ignored=self.has("bad_accept_ignored"),
        )


@functools.cache
def _table() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((schemas_dir() / STACKS_FILE).read_text(encoding="utf-8"))
    return data


def generations() -> tuple[Generation, ...]:
    """Every generation, the default (today's stack) first."""
    return tuple(Generation(s["name"], frozenset(s["quirks"])) for s in _table()["stacks"])


def describe(quirk: str, present: bool) -> str:
    """The behaviour a quirk's presence or absence means, as stacks.json words it."""
    info = _table()["quirks"][quirk]
    return f"{info['old'] if present else info['modern']} ({info['changed_in']})"


def generation_named(name: str) -> Generation:
    """The generation called ``name``; ValueError listing the valid names otherwise."""
    for generation in generations():
        if generation.name == name:
            return generation
    names = ", ".join([AUTO, *(g.name for g in generations())])
    raise ValueError(f"--stack {name!r}: unknown generation; one of: {names}")


# --- the fingerprint ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Observation:
    """One quirk as the endpoint showed it: present, absent or unknown (None)."""

    quirk: str
    present: bool | None
    evidence: str
    responses: tuple[Response, ...]


def _count(response: Response) -> int | None:
    """Rows selected: the ``Total`` header when paginated, else the body's length."""
    total = response.header("Total") or ""
    if response.status == 200 and total.isdigit():
        return int(total)
    try:
        body = response.json() if response.status == 200 else None
    except ValueError:
        return None
    return len(body) if isinstance(body, list) else None


def _by_count(quirk: str, response: Response, old: int, modern: int, what: str) -> Observation:
    """The quirk present when the answer selects the ``old`` number of rows, absent when the
    ``modern`` one, unknown when the data cannot tell them apart or the answer is neither."""
    seen = _count(response)
    present = None if old == modern else True if seen == old else False if seen == modern else None
    return Observation(quirk, present, f"{what}: {seen} rows ({old} if old, {modern} if modern)", (response,))


def _status(quirk: str, response: Response, old: int, modern: int, what: str) -> Observation:
    present = True if response.status == old else False if response.status == modern else None
    return Observation(quirk, present, f"{what}: {response.status}", (response,))


def observe(client: Client, index: Response, records: list[dict[str, Any]]) -> list[Observation]:
    """Every quirk the suite can observe, from the unfiltered ``index`` and one GET each."""
    out: list[Observation] = []
    etag = index.header("ETag") or ""
    page = (index.pages[0] if index.pages else index).body  # the ETag is the first page's
    md5 = f'W/"{hashlib.md5(page).hexdigest()}"'  # Rack 1.x's digest, not security
    sha = f'W/"{hashlib.sha256(page).hexdigest()[:32]}"'
    present = True if etag == md5 else False if etag == sha else None
    out.append(Observation("md5_etag", present, f"ETag {etag or '(none)'}", (index,)))
    referrer = index.header("Referrer-Policy")
    out.append(
        Observation("fewer_security_headers", referrer is None, f"Referrer-Policy {referrer!r}", (index,))
    )
    vary = index.header("Vary") or ""
    out.append(Observation("no_vary_accept", "accept" not in vary.lower(), f"Vary {vary!r}", (index,)))

    total = _count(index) or 0
    names = [r["full_name"] for r in records if isinstance(r.get("full_name"), str)]
    wild = client.index(Query.of(("full_name_cont", "_")))
    # ILIKE '%_%' as a wildcard is any name of one character or more; escaped, a literal `_`
    anything, literal = sum(n != "" for n in names), sum("_" in n for n in names)
    out.append(_by_count("underscore_wildcard", wild, anything, literal, "full_name_cont=_"))
    word = next((n[:4] for n in names if len(n) >= 4 and n[:4].isalnum()), None)
    if word is not None:
        padded = client.index(Query.of(("full_name_cont", "\t" + word)))
        low = pg_lower(word)
        unstripped = sum("\t" + low in pg_lower(n) for n in names)
        stripped = sum(low in pg_lower(n) for n in names)
        out.append(_by_count("no_strip", padded, unstripped, stripped, f"full_name_cont=%09{word}"))
    i_cont = client.index(Query.of(("full_name_i_cont", "zzqqnomatch")))
    matching = sum("zzqqnomatch" in pg_lower(n) for n in names)
    out.append(_by_count("i_cont_ignored", i_cont, total, matching, "full_name_i_cont=zzqqnomatch"))
    missing = client.show("0")
    try:
        body = missing.json()
    except ValueError:
        body = None
    status = body.get("status") if isinstance(body, dict) else None
    out.append(
        Observation(
            "string_error_status",
            True if status == "404" else False if status == 404 else None,
            f"GET .../0: {missing.status}, status {status!r}",
            (missing,),
        )
    )
    bearer = client.index(authorization=f"Bearer {client.token}")
    out.append(_status("strict_token_scheme", bearer, 401, 200, "Authorization: Bearer"))
    denied = client.index(authorization=None, headers={"Accept": "*/*"})
    media = (denied.header("Content-Type") or "").split(";")[0].strip().lower()
    out.append(
        Observation(
            "unauthorized_as_format",
            {"text/html": True, "text/plain": False}.get(media) if denied.status == 401 else None,
            f"no token, Accept */*: {denied.status} {media or '(no Content-Type)'}",
            (denied,),
        )
    )
    foo = client.index(headers={"Accept": "foo"})
    out.append(_status("bad_accept_ignored", foo, 200, 406, "Accept: foo"))
    overflow = client.index(Query.of(("score_lt", "2147483648")))
    out.append(_status("casted_overflow_500", overflow, 500, 200, "score_lt=2147483648"))
    utf8 = client.index("full_name_cont=%FF")
    out.append(_status("invalid_utf8_500", utf8, 500, 400, "full_name_cont=%FF"))
    nul = client.index(Query.of(("full_name_cont", "a\x00b")))
    out.append(_status("nul_truncates", nul, 200, 500, "full_name_cont=a%00b"))
    return out


@dataclass(frozen=True)
class Ranked:
    generation: Generation
    disagree: tuple[Observation, ...]
    unknown: int


def rank(observations: list[Observation]) -> list[Ranked]:
    """Every generation, best first: fewest disagreements, then fewest unobserved quirks."""
    known = [o for o in observations if o.present is not None]
    seen = {o.quirk for o in known}
    ranked = [
        Ranked(g, tuple(o for o in known if g.has(o.quirk) != o.present), len(g.quirks - seen))
        for g in generations()
    ]
    return sorted(ranked, key=lambda r: (len(r.disagree), r.unknown))  # stable: table order breaks ties


def mixed_message(ranking: list[Ranked]) -> str:
    """Why no generation fits: the nearest one's conflicting behaviours, as observed."""
    nearest = ranking[0]
    lines = [f"nearest generation {nearest.generation.name} conflicts on:"]
    for o in nearest.disagree:
        lines.append(
            f"  {o.quirk}: the endpoint answered {o.evidence}, i.e. {describe(o.quirk, bool(o.present))}; "
            f"{nearest.generation.name} would answer {describe(o.quirk, not o.present)}"
        )
    return "\n".join(lines)


def choose(observations: list[Observation]) -> Generation:
    """The generation every observation agrees with; ContractViolationError when none does."""
    ranking = rank(observations)
    if not ranking[0].disagree:
        return ranking[0].generation
    raise ContractViolationError(
        "the endpoint's answers mix Rails/Ransack generations: no single generation answers like this",
        mixed_message(ranking),
        [r for o in ranking[0].disagree for r in o.responses],
        "one endpoint runs one stack; pass --stack NAME to assert one generation anyway",
    )
