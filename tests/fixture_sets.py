"""Hypothesis strategies for whole fixture sets of the kind real accounts hold, adversarial on
purpose: padded text (ASCII whitespace, tabs, NBSP, other Unicode spaces), empty strings where
the format allows them, nulls in every nullable field, names and codes that tie under the
en_US collation and differ only in accents or case, duplicated records, extreme integers and
dates at the edges of the calendar, and accounts holding many, one or no records.

A drawn ``FixtureSet`` is valid under ``schemas/fixture.schema.json`` (the loader accepts it)
and says which token sees which account, so one set can be served with ``--fixtures`` and
``--token`` and read through a token whose account has several, one or no records.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

# Padding a real export carries: ASCII whitespace, tabs, NBSP and other Unicode spaces.
PADDING = (" ", "  ", "\t", " \t", "\n", "\u00a0", "\u2003", "\u3000", "\u202f", "\u2009", "\u00a0 ")
# Names that tie under the collation and differ in accents or case, names with LIKE
# metacharacters, a Greek final sigma, a dotted capital I, and blank ones.
BASE_NAMES = (
    "Adèle Zoë",
    "Adéle Zoe",
    "adele zoe",
    "ADÈLE ZOË",
    "Zoë Thibodeau",
    "Zoe thibodeau",
    "Émile O'Brien",
    "emile o_brien",
    "Ana 100% Sá",
    "ΣΟΦΊΑΣ Παπαδοπούλου",
    "İlkay Işık",
    "Łukasz Żółć",
    "Michelle Dragsta",
    "Wi",
    "",
    " ",
    "\u00a0",
)
BASE_CODES = ("WHMIS", "whmis", "Whmis", "FP", "fp", "ÉLEC", "elec", "A_B", "A%B", "", " ", "Fp\u00a0")
COURSE_NAMES = (
    "Fall Protection",
    "fall protection",
    "Électricité",
    "Electricite",
    "WHMIS 2015",
    "Première aide",
    "",
    "\t",
)
STATUSES = ("Assigned", "In Progress", "Completed", "completed", "", " Expired ")
USERNAMES = ("athibodeau", "Athibodeau", "a.zoe", "a_zoe", "a%zoe", "zoë", "", " padded ")
ACCOUNTS = ("acme", "Acme")  # named accounts; None is the default account
INT4 = (-(2**31), 2**31 - 1)
EXTREME_INTS = (INT4[0], INT4[1], 0, -1, 100, 101)
# Calendar edges and the dates the suite's own probes sit on (the doc sample's 2015-01-01, a
# leap day, year ends), beside ordinary dates.
EDGE_DATES = (
    dt.date(1, 1, 1),
    dt.date(9999, 12, 31),
    dt.date(2015, 1, 1),
    dt.date(2014, 12, 31),
    dt.date(2016, 2, 29),
    dt.date(1970, 1, 1),
    dt.date(1999, 12, 31),
    dt.date(2038, 1, 19),
)
DECIMALS = ("0.0", "12.5", "-0.5", "999999999.9", "1.0")


@dataclass(frozen=True)
class FixtureSet:
    """Records to serve, and the account the suite's token sees (None: the default account;
    an account no record names is an account with no records)."""

    records: tuple[dict[str, Any], ...]
    account: str | None

    def visible(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("account") == self.account]

    def write(self, path: Path) -> Path:
        path.write_text(json.dumps(list(self.records), ensure_ascii=False, indent=1), encoding="utf-8")
        return path

    def serve_args(self, path: Path, token: str) -> tuple[str, ...]:
        """``mockserver serve`` options: the file, and ``token`` for the account under test."""
        seen_as = token if self.account is None else f"{token}={self.account}"
        return ("--fixtures", str(path), "--token", seen_as)

    def describe(self) -> str:
        seen = self.visible()
        who = "the default account" if self.account is None else f"account {self.account!r}"
        return f"{len(self.records)} records, {len(seen)} seen by {who}"


@st.composite
def padded(draw: st.DrawFn, texts: tuple[str, ...]) -> str:
    """One of ``texts``, often with padding on either side."""
    text = draw(st.sampled_from(texts))
    before = draw(st.one_of(st.just(""), st.sampled_from(PADDING)))
    after = draw(st.one_of(st.just(""), st.sampled_from(PADDING)))
    return before + text + after


def nullable(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


def dates() -> st.SearchStrategy[str]:
    ordinary = st.dates(dt.date(1995, 1, 1), dt.date(2030, 12, 31))
    return st.one_of(st.sampled_from(EDGE_DATES), ordinary).map(dt.date.isoformat)


def integers() -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from(EXTREME_INTS), st.integers(0, 100), st.integers(*INT4))


@st.composite
def record(draw: st.DrawFn, ident: int, account: str | None) -> dict[str, Any]:
    """One record in the fixture format, every nullable field sometimes null."""
    out: dict[str, Any] = {
        "id": ident,
        "course_code": draw(padded(BASE_CODES)),
        "score": draw(integers()),
        "percent_complete": draw(integers()),
        "failed_attempts": draw(integers()),
        "status": draw(st.sampled_from(STATUSES)),
        "cert_expiry": draw(nullable(dates())),
        "completion_date": draw(nullable(dates())),
        "complete_by": draw(nullable(dates())),
        "full_name": draw(padded(BASE_NAMES)),
        "time_spent": draw(st.sampled_from(DECIMALS)),
    }
    optional: dict[str, Any] = {
        "course_name": nullable(padded(COURSE_NAMES)),
        "assignee_login_username": nullable(st.sampled_from(USERNAMES)),
        "last_attempt": nullable(dates()),
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):  # absent means null: both spellings occur
            out[name] = draw(strategy)
    if account is not None or draw(st.booleans()):
        out["account"] = account
    return out


VIEWS = ("many", "one", "none")  # how many records the suite's token sees
NULLABLE = (
    "cert_expiry",
    "completion_date",
    "complete_by",
    "course_name",
    "assignee_login_username",
    "last_attempt",
)
TIES = (("Adèle Zoë", "ADELE ZOE"), ("Émile O'Brien", "emile o'brien"), ("Zoë Thibodeau", "Zoe thibodeau"))


@st.composite
def traps(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Field overrides every generated set carries on the records its token sees, so that even
    Hypothesis' simplest example is adversarial: one per trap."""
    pad = st.sampled_from(PADDING)
    names = st.sampled_from([n for n in BASE_NAMES if n.strip()])
    tie = draw(st.sampled_from(TIES))
    edge = st.sampled_from(EDGE_DATES).map(dt.date.isoformat)
    return [
        {"full_name": draw(pad) + draw(names), "course_code": draw(pad) + draw(st.sampled_from(BASE_CODES))},
        {
            "full_name": draw(names) + draw(pad),
            "course_name": draw(pad) + draw(st.sampled_from(COURSE_NAMES)),
        },
        {"full_name": "", "course_code": "", "status": "", "course_name": "", "assignee_login_username": ""},
        dict.fromkeys(NULLABLE),
        {
            "score": INT4[0],
            "percent_complete": INT4[1],
            "failed_attempts": draw(st.sampled_from(EXTREME_INTS)),
        },
        {
            "cert_expiry": "9999-12-31",
            "completion_date": "0001-01-01",
            "complete_by": draw(edge),
            "last_attempt": draw(edge),
        },
        {"full_name": tie[0]},
        {"full_name": tie[1]},
    ]


@st.composite
def fixture_sets(draw: st.DrawFn, view: str | None = None, max_records: int = 30) -> FixtureSet:
    """A whole fixture set and the account the suite reads it through: one with ``view`` records
    visible ("many", "one" or "none"; drawn when None). The visible records carry every trap
    (``traps``); the one record of "one" carries the padded name, int4 extremes and calendar edges."""
    view = view or draw(st.sampled_from(VIEWS))
    overrides = draw(traps())
    size = draw(st.integers(len(overrides) + 2, max_records))
    ids = draw(
        st.lists(
            st.one_of(st.integers(1, 3 * max_records), st.sampled_from((1, 2, 3, INT4[1]))),
            min_size=size,
            max_size=size,
            unique=True,
        )
    )
    accounts = draw(st.lists(st.sampled_from((None, *ACCOUNTS)), min_size=size, max_size=size))
    records = [draw(record(i, a)) for i, a in zip(ids, accounts, strict=True)]
    seen_by = {"many": draw(st.sampled_from((None, *ACCOUNTS))), "one": "solo", "none": "nobody"}[view]
    if view == "many":
        for target, change in zip(records, overrides, strict=False):
            target.update(change, account=seen_by)
    elif view == "one":
        records[0].update(overrides[0], **overrides[4], **overrides[5], account="solo")
    duplicates = draw(st.lists(st.sampled_from(records), min_size=1, max_size=3))
    free = (i for i in range(3 * max_records + 1, 4 * max_records + 10) if i not in ids)
    duplicates = [{**copy, "id": next(free)} for copy in duplicates if copy.get("account") != "solo"]
    return FixtureSet(tuple(records + duplicates), seen_by)  # the same record twice
