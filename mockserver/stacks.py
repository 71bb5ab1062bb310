"""Stack generations: which Rails/Rack/Ransack/pg/Ruby generation the mock emulates, as data.

Every client-visible behaviour that differs from the default stack is one named ``Quirk``, owned
by the layer that changed it and citing the commit that did (found by reading and running each
release; the table is in ``docs/mock/stack-generations.md``). A generation is a set of quirks in
one table (``STACKS``); the engine, the server, the probe, the contract suite's expectations and
the docs' generation table all derive from it. Pure data, stdlib only, so the engine may import
it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "BUILTIN_TO_XML",
    "DEFAULT_STACK",
    "GEM_TO_XML",
    "QUIRKS",
    "STACKS",
    "TO_XML_SAME",
    "Layer",
    "Quirk",
    "QuirkInfo",
    "Stack",
    "portability",
    "stack_named",
]


class Layer(StrEnum):
    """Who owns a behaviour: the part of the stack whose commit changed it."""

    RAILS = "Rails"
    RACK = "Rack"
    RANSACK = "Ransack"
    PG = "pg driver"
    RUBY = "Ruby"


class Quirk(StrEnum):
    """One behaviour of an older generation, absent from the default stack."""

    # str's hash, not Enum's Python-level one: membership tests run on the hot path, and a
    # Quirk must hash like the equal string (errors carry touched quirks as str)
    __hash__ = str.__hash__

    UNDERSCORE_WILDCARD = "underscore_wildcard"
    NO_STRIP = "no_strip"
    I_CONT_IGNORED = "i_cont_ignored"
    CASTED_OVERFLOW_500 = "casted_overflow_500"
    INVALID_UTF8_500 = "invalid_utf8_500"
    STRING_ERROR_STATUS = "string_error_status"
    STRICT_TOKEN_SCHEME = "strict_token_scheme"
    UNAUTHORIZED_AS_FORMAT = "unauthorized_as_format"
    FEWER_SECURITY_HEADERS = "fewer_security_headers"
    NO_VARY_ACCEPT = "no_vary_accept"
    BAD_ACCEPT_IGNORED = "bad_accept_ignored"
    DECIMAL_NOT_ROUNDED = "decimal_not_rounded"
    MD5_ETAG = "md5_etag"
    NO_QUERY_LIMIT = "no_query_limit"
    NUL_TRUNCATES = "nul_truncates"
    LONG_DATES_PARSED = "long_dates_parsed"


@dataclass(frozen=True)
class QuirkInfo:
    """What a quirk does, who changed it, and how the mock's emulation of it is checked."""

    layer: Layer
    old: str
    modern: str
    changed_in: str
    checked: str  # "stand-in": measured on real code here; "source": unit-tested against the cited lines
    effect: str = ""  # what a client sees there, in a few words (the portability header)


QUIRKS: dict[Quirk, QuirkInfo] = {
    Quirk.UNDERSCORE_WILDCARD: QuirkInfo(
        Layer.RANSACK,
        "`_` in `_cont`/`_start`/`_end` is a one-character wildcard",
        "`_` is escaped (literal)",
        "ransack@9c2bbfb7 (v1.8.0)",
        "source",
        effect="`_` is a wildcard",
    ),
    Quirk.NO_STRIP: QuirkInfo(
        Layer.RANSACK,
        "values are searched as sent (padding kept, `%00` not dropped, `s=score+desc+` sorts ASC, "
        "`m=or%20` is AND)",
        "string values are stripped of ASCII whitespace and NUL",
        "ransack@eabd135b (v2.4.0)",
        "stand-in (Ransack 4.1.1 with strip_whitespace = false: 20 padded queries agree)",
        effect="padded value searched as sent",
    ),
    Quirk.I_CONT_IGNORED: QuirkInfo(
        Layer.RANSACK,
        "`_i_cont` is not a predicate: the key is ignored",
        "`_i_cont` is ILIKE on the downcased value",
        "ransack@49774fdd (v1.6.0) removed, ransack@f7225de3 (v2.3.1) re-added",
        "source",
        effect="_i_cont ignored",
    ),
    Quirk.CASTED_OVERFLOW_500: QuirkInfo(
        Layer.RANSACK,
        "an out-of-int4 integer in any predicate is a 500 (RangeError from Arel's Casted node)",
        "compared as a plain number (`score_eq=2147483648` is `[]`, `score_lt=2147483648` all rows)",
        "ransack@8946268a (v4.0.0)",
        "stand-in (Ransack v2.4.2 on Rails 6.1: fuzz seed 7)",
        effect="500 for an out-of-int4 integer",
    ),
    Quirk.INVALID_UTF8_500: QuirkInfo(
        Layer.RAILS,
        "invalid UTF-8 in the query is a 500",
        "400 Bad Request",
        "rails@59ab2d1ee59 (v5.0.0)",
        "source",
        effect="500 for invalid UTF-8",
    ),
    Quirk.STRING_ERROR_STATUS: QuirkInfo(
        Layer.RAILS,
        'JSON error bodies carry the status as a string: `{"status":"404",...}`',
        'the status is an integer: `{"status":404,...}`',
        "rails@0b81b3094a1 (v5.0.0)",
        "source",
        effect="error status as a string",
    ),
    Quirk.STRICT_TOKEN_SCHEME: QuirkInfo(
        Layer.RAILS,
        "`Bearer`, and `Token` followed by more than one space or a tab, are a 401",
        "`Bearer` and any whitespace after `Token` are accepted",
        "rails@4b4e890781c, rails@d5a0d710379 (v5.0.0)",
        "source",
        effect="401 for this Authorization scheme",
    ),
    Quirk.UNAUTHORIZED_AS_FORMAT: QuirkInfo(
        Layer.RAILS,
        "the 401 is sent as the request format (`text/html`, or `application/json` for JSON requests)",
        "the 401 is `text/plain; charset=utf-8`",
        "rails@8cb8ce98d90 (v5.0.0)",
        "source",
        effect="401 sent as the request format",
    ),
    Quirk.FEWER_SECURITY_HEADERS: QuirkInfo(
        Layer.RAILS,
        "three default security headers (no Referrer-Policy, X-Download-Options, "
        "X-Permitted-Cross-Domain-Policies)",
        "six default security headers",
        "rails@5d7b70f4336, rails@428939be9f9 (v5.2.0)",
        "source",
        effect="three security headers",
    ),
    Quirk.NO_VARY_ACCEPT: QuirkInfo(
        Layer.RAILS,
        "no `Vary: Accept`",
        "`Vary: Accept` when the format came from the Accept header",
        "rails@5745a3c0928 (v6.1.0)",
        "stand-in (Rails 6.1 sends it)",
        effect="no Vary",
    ),
    Quirk.BAD_ACCEPT_IGNORED: QuirkInfo(
        Layer.RAILS,
        "an unparseable Accept (`Accept: foo`) is ignored: 200",
        "406 Not Acceptable",
        "rails@b5e8942c950, rails@378b4fedb1d (v6.0.0)",
        "source",
        effect="200 for an unparseable Accept",
    ),
    Quirk.DECIMAL_NOT_ROUNDED: QuirkInfo(
        Layer.RAILS,
        "a decimal filter value is not rounded to the column scale (`time_spent_eq=12.45` matches nothing)",
        "rounded to decimal(10,1) before comparing",
        "rails@a741208f80d (v6.0.0)",
        "source",
        effect="decimal compared unrounded",
    ),
    Quirk.MD5_ETAG: QuirkInfo(
        Layer.RACK,
        'ETag is `W/"md5(body)"`',
        'ETag is `W/"sha256(body)[0,32]"`',
        "rack@7b66d2cd (2.0.0)",
        "source",
        effect="MD5 ETag",
    ),
    Quirk.NO_QUERY_LIMIT: QuirkInfo(
        Layer.RACK,
        "no limit on the number of query parameters",
        "more than 4096 parameters is a 500 (QueryLimitError)",
        "rack@3f5a4249 (2.2.14)",
        "source",
        effect="no parameter limit",
    ),
    Quirk.NUL_TRUNCATES: QuirkInfo(
        Layer.PG,
        "an embedded NUL truncates the string value (`full_name_cont=a%00b` is `ILIKE '%a'`): 200",
        "an embedded NUL is a 500 (ArgumentError)",
        "ruby-pg@55ece45 (v1.1.0)",
        "source",
        effect="value cut at the NUL, 200",
    ),
    Quirk.LONG_DATES_PARSED: QuirkInfo(
        Layer.RUBY,
        "a date value over 128 characters is still parsed",
        "over 128 characters, Date.parse raises and the condition is dropped",
        "CVE-2021-41817 (Ruby 2.6.9 / 2.7.5 / 3.0.3)",
        "source",
        effect="date over 128 characters parsed",
    ),
}


GEM_TO_XML = "the activemodel-serializers-xml gem (1.0.x; Builder 3.2.4)"
BUILTIN_TO_XML = "Rails' own ActiveModel::Serializers::Xml (Builder 3.2.2)"
TO_XML_SAME = (
    "`to_xml` writes the same bytes in every generation, so XML adds no quirk: Rails 4.2 had it "
    "built in and rails@f7ebdb1ac51 (v5.0.0) moved it unchanged to the activemodel-serializers-xml "
    "gem (the one change, `columns_hash[name].type` to `type_for_attribute(name).type`, gives the "
    "same type for a real column); ActiveSupport's XmlMini types and formatting and Builder's "
    "escaping (3.2.2 to 3.2.4) are the same for integer, date, decimal and string columns. What "
    "differs around an XML answer is already a quirk: the error body's string status, the 401's "
    "content type, Vary and the ETag digest"
)
"""The finding behind ``Stack.to_xml`` (checked against the sources: rails v4.2.11 and v6.1.7.10,
activemodel-serializers-xml 1.0.2, builder 3.2.2 and 3.2.4)."""


@dataclass(frozen=True)
class Stack:
    """One generation: its versions and the quirks it has."""

    name: str
    rails: str
    ransack: str
    rack: str
    pg: str
    ruby: str
    quirks: frozenset[Quirk]
    note: str = ""
    to_xml: str = GEM_TO_XML  # where the 2015-08 revision's XML comes from (see TO_XML_SAME)

    def has(self, quirk: Quirk) -> bool:
        return bool(self.quirks) and quirk in self.quirks


_RANSACK_BEFORE_4 = frozenset({Quirk.CASTED_OVERFLOW_500})
_RANSACK_BEFORE_2_4 = _RANSACK_BEFORE_4 | {Quirk.NO_STRIP}
_RAILS_BEFORE_6_1 = frozenset({Quirk.NO_VARY_ACCEPT})
_RAILS_BEFORE_6 = _RAILS_BEFORE_6_1 | {Quirk.BAD_ACCEPT_IGNORED, Quirk.DECIMAL_NOT_ROUNDED}
_RAILS_BEFORE_5_2 = _RAILS_BEFORE_6 | {Quirk.FEWER_SECURITY_HEADERS}
_RAILS_4_2 = _RAILS_BEFORE_5_2 | {
    Quirk.INVALID_UTF8_500,
    Quirk.STRING_ERROR_STATUS,
    Quirk.STRICT_TOKEN_SCHEME,
    Quirk.UNAUTHORIZED_AS_FORMAT,
}

STACKS: tuple[Stack, ...] = (
    Stack(
        "rails6.1-ransack4.1",
        "6.1.7.10",
        "4.1.1",
        "2.2.22",
        "1.4",
        "3.1",
        frozenset(),
        "measured; the default",
    ),
    Stack("rails6.1-ransack2.4", "6.1.7.10", "2.4.2", "2.2.22", "1.4", "3.1", _RANSACK_BEFORE_4),
    Stack(
        "rails6.0-ransack2.4",
        "6.0.6",
        "2.4.2",
        "2.2.22",
        "1.4",
        "2.7.8",
        _RANSACK_BEFORE_4 | _RAILS_BEFORE_6_1,
    ),
    Stack(
        "rails5.2-ransack2.3",
        "5.2.8",
        "2.3.2",
        "2.2.22",
        "1.1",
        "2.6.9",
        _RANSACK_BEFORE_2_4 | _RAILS_BEFORE_6,
    ),
    Stack(
        "rails5.1-ransack1.8",
        "5.1.7",
        "1.8.10",
        "2.0.9",
        "0.21",
        "2.4",
        _RANSACK_BEFORE_2_4
        | _RAILS_BEFORE_5_2
        | {Quirk.I_CONT_IGNORED, Quirk.NUL_TRUNCATES, Quirk.LONG_DATES_PARSED, Quirk.NO_QUERY_LIMIT},
        "pg 0.21 and Ruby 2.4 assumed (the 2017 era; Rails 5.1 allows pg >= 0.18)",
    ),
    Stack(
        "rails4.2-ransack1.7",
        "4.2.11",
        "1.7.0",
        "1.6.13",
        "0.21",
        "2.2",
        _RANSACK_BEFORE_2_4
        | _RAILS_4_2
        | {
            Quirk.UNDERSCORE_WILDCARD,
            Quirk.I_CONT_IGNORED,
            Quirk.MD5_ETAG,
            Quirk.NO_QUERY_LIMIT,
            Quirk.NUL_TRUNCATES,
            Quirk.LONG_DATES_PARSED,
        },
        "the 2015 stack the API doc was written against",
        to_xml=BUILTIN_TO_XML,
    ),
)
DEFAULT_STACK = STACKS[0]
_BY_NAME = {s.name: s for s in STACKS}


def stack_named(name: str) -> Stack:
    """The generation called ``name``; ``KeyError`` naming the valid ones otherwise."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown stack {name!r}; one of: {', '.join(_BY_NAME)}") from None


# Differences in headers only: every answer has them, so they are never warned about.
HEADER_ONLY = frozenset({Quirk.FEWER_SECURITY_HEADERS, Quirk.NO_VARY_ACCEPT, Quirk.MD5_ETAG})


@functools.lru_cache(maxsize=256)
def portability(touched: frozenset[Quirk], served: Stack = DEFAULT_STACK) -> str:
    """The ``X-Mockserver-Portability`` value: each generation that would answer otherwise
    because of a quirk this request touched, and how (``""`` when none would)."""
    parts = []
    for stack in STACKS:
        effects = [
            QUIRKS[q].effect
            for q in QUIRKS
            if q in touched and q not in HEADER_ONLY and stack.has(q) != served.has(q)
        ]
        if effects and stack != served:
            parts.append(f"{stack.name}: {', '.join(effects)}")
    return "; ".join(parts)


def stacks_listing() -> str:
    """``serve --stack list`` and ``contract --stack list``: one line per generation, default first."""
    width = max(len(s.name) for s in STACKS)
    lines = []
    for s in STACKS:
        versions = f"Rails {s.rails}, Ransack {s.ransack}, Rack {s.rack}, pg {s.pg}, Ruby {s.ruby}"
        lines.append(f"{s.name:<{width}}  {versions}" + (f"  ({s.note})" if s.note else ""))
    return "\n".join(lines)


def stacks_markdown() -> str:
    """The docs' generation table: one row per quirk, one column per generation."""
    header = (
        "| behaviour | layer | " + " | ".join(f"`{s.name}`" for s in STACKS) + " | changed in | checked |"
    )
    lines = [header, "|" + "---|" * (len(STACKS) + 4)]
    for quirk, info in QUIRKS.items():
        cells = " | ".join("old" if s.has(quirk) else "·" for s in STACKS)
        lines.append(f"| {info.old} | {info.layer} | {cells} | {info.changed_in} | {info.checked} |")
    return "\n".join(lines)
