"""Hypothesis strategies that draw filter values from the endpoint's own unfiltered index.

The suite knows no data: each strategy is built from the records the endpoint listed, and
mixes values present in them, absent ones, substrings, case and accent variants, dates on,
before and after values present, wildcard characters, blank and padded values and values
Ruby casts surprisingly. The first choice of every ``sampled_from`` is the plainest, so that
failures shrink to readable examples.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from . import oracle
from .checks import Dataset

ASCII_SPACE = " \t\n\v\f\r"
BLANKS = ("", " ", "  ", "\t", "\n", " \t\r\n ", "\u00a0", "\u2003", "\u3000", "\u00a0 \u2003")
WILDCARDS = "%_.\\*?[]()^$|+'\"&;=#/"
PRINTABLE = st.characters(
    codec="utf-8", categories=["L", "M", "N", "P", "S", "Zs"], exclude_characters="\x00"
)
UNKNOWN_KEYS = (
    "score",
    "page",
    "per_page",
    "sort",
    "order",
    "limit",
    "offset",
    "utf8",
    "id",
    "_",
    "callback",
    "full_name",
    "fullname_cont",
    "Full_Name_Cont",
    "full_name_CONT",
    "full-name-cont",
    " full_name_cont",
    "score_equals",
    "q[full_name_cont]",
    "q[score_eq]",
    "api_key",
    "token",
    "filter[score]",
)


def _accentless(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def blank() -> st.SearchStrategy[str | None]:
    """Values Ransack drops: nil (a bare key), empty, ASCII or Unicode whitespace only."""
    return st.one_of(st.none(), st.sampled_from(BLANKS))


def _pad(draw: st.DrawFn, text: str) -> str:
    side = st.text(alphabet=ASCII_SPACE, min_size=0, max_size=3)
    return draw(side) + text + draw(side)


@st.composite
def cont_value(draw: st.DrawFn, texts: Sequence[str]) -> str | None:
    """A value for a ``_cont`` filter over strings like ``texts``."""
    pool = [t for t in texts if t] or ["x"]
    base = draw(st.sampled_from(pool))
    start = draw(st.integers(0, len(base) - 1))
    end = draw(st.integers(start + 1, min(len(base), start + 10)))
    sub = base[start:end]
    how = draw(
        st.sampled_from(
            (
                "substring",
                "whole",
                "upper",
                "lower",
                "swapcase",
                "padded",
                "accentless",
                "nfd",
                "unicode-padded",
                "wildcard",
                "absent",
                "blank",
                "wildcard-only",
            )
        )
    )
    if how == "whole":
        return base
    if how == "upper":
        return sub.upper()
    if how == "lower":
        return sub.lower()
    if how == "swapcase":
        return sub.swapcase()
    if how == "padded":
        return _pad(draw, sub)
    if how == "accentless":
        return _accentless(sub) if _accentless(sub) != sub else sub.upper()
    if how == "nfd":
        return unicodedata.normalize("NFD", sub)
    if how == "unicode-padded":
        return draw(st.sampled_from(("\u00a0", "\u3000", "\u2003"))) + sub
    if how == "wildcard":
        char = draw(st.sampled_from(WILDCARDS))
        at = draw(st.integers(0, len(sub)))
        replace = draw(st.booleans())
        return sub[:at] + char + sub[at + (1 if replace else 0) :]
    if how == "absent":
        return draw(st.text(alphabet=PRINTABLE, min_size=1, max_size=8))
    if how == "blank":
        return draw(blank())
    if how == "wildcard-only":
        return draw(st.sampled_from(("%", "_", "%%", "\\", ".", "%_%", "*", "\\%")))
    return sub


@st.composite
def int_value(draw: st.DrawFn, values: Sequence[int]) -> str | None:
    """A value for an integer ``_eq`` filter: present numbers written every way Ruby casts."""
    pool = list(values) or [0]
    number = draw(st.one_of(st.sampled_from(pool), st.integers(-5, 120)))
    text = str(number)
    how = draw(
        st.sampled_from(
            (
                "plain",
                "plus",
                "zero-padded",
                "decimal",
                "suffix",
                "exponent",
                "underscore",
                "padded",
                "uncastable",
                "out-of-int4",
                "wrapped",
                "nbsp",
                "fullwidth",
                "double-underscore",
                "blank",
                "negative",
            )
        )
    )
    if how == "plus":
        return f"+{number}" if number >= 0 else text
    if how == "zero-padded":
        return f"0{number}" if number >= 0 else text
    if how == "decimal":
        return f"{text}.{draw(st.integers(0, 99))}"
    if how == "suffix":
        return text + draw(st.sampled_from(("abc", " apples", "%", "px", "e", ",5")))
    if how == "exponent":
        return f"{text}e1"
    if how == "underscore":
        return text[0] + "_" + text[1:] if len(text.lstrip("-")) > 1 and text[1] != "_" else text
    if how == "padded":
        return _pad(draw, text)
    if how == "uncastable":
        return draw(st.sampled_from(("abc", "NaN", "true", "0x50", "null", "- 5", "_80", "one")))
    if how == "out-of-int4":
        return draw(st.sampled_from(("2147483648", "-2147483649", "99999999999999999999")))
    if how == "wrapped":
        return str(number + 2**32)  # a 32-bit wrap would turn this back into `number`
    if how == "nbsp":
        return "\u00a0" + text
    if how == "fullwidth":
        return text.translate({ord(d): ord(d) - ord("0") + 0xFF10 for d in "0123456789"})
    if how == "double-underscore":
        return text[0] + "__" + text[1:] if len(text) > 1 else text
    if how == "blank":
        return draw(blank())
    if how == "negative":
        return str(-abs(number))
    return text


def date_anchors(dataset: Dataset, attribute: str | None) -> list[dt.date]:
    """Dates present in ``attribute`` (or in any rendered date field when it is hidden)."""
    fields = (
        [attribute]
        if attribute in ("cert_expiry", "completion_date", "complete_by")
        else ["cert_expiry", "completion_date", "complete_by"]
    )
    days = {dt.date.fromisoformat(v) for f in fields for v in dataset.values(f)}
    return sorted(days) or [dt.date(2015, 1, 1), dt.date(2016, 2, 6)]


def shift(day: dt.date, days: int) -> dt.date:
    """``day`` moved by ``days``, kept a day inside the calendar (data may hold 0001-01-01 or
    9999-12-31; a probe one day off must still be a date)."""
    low, high = dt.date.min + dt.timedelta(days=1), dt.date.max - dt.timedelta(days=1)
    limit = (high - day).days if days > 0 else (low - day).days
    return day + dt.timedelta(days=min(days, limit) if days > 0 else max(days, limit))


@st.composite
def day_near(draw: st.DrawFn, anchors: Sequence[dt.date]) -> dt.date:
    """A date on, just before or after, or some way off a date present in the data."""
    anchor = draw(st.sampled_from(anchors))
    offset = draw(st.one_of(st.sampled_from((0, -1, 1)), st.integers(-800, 800)))
    return shift(anchor, offset)


@st.composite
def date_value(draw: st.DrawFn, anchors: Sequence[dt.date]) -> str | None:
    """A value for a date filter: ISO mostly, some lenient forms, padded, invalid, blank."""
    day = draw(day_near(anchors))
    how = draw(st.sampled_from(("iso", "iso", "iso", "lenient", "padded", "invalid", "blank")))
    if how == "lenient":
        return oracle.format_date(day, draw(st.sampled_from(oracle.DATE_FORMS)))
    if how == "padded":
        return _pad(draw, day.isoformat())
    if how == "invalid":
        return draw(st.sampled_from(oracle.UNPARSEABLE_DATES))
    if how == "blank":
        return draw(blank())
    return day.isoformat()


def filter_value(dataset: Dataset, spec: oracle.Filter) -> st.SearchStrategy[Any]:
    """Values for filter ``spec``, drawn from the data of the attributes it reads."""
    if spec.kind == "int":
        return int_value(dataset.values(spec.attributes[0]))
    if spec.kind == "date":
        return date_value(date_anchors(dataset, spec.attributes[0]))
    texts = (
        [t for a in spec.attributes for t in dataset.values(a)]
        if spec.rendered
        else dataset.values("full_name") + dataset.values("course_code")
    )
    return cont_value(texts)


def conditions(dataset: Dataset, names: Sequence[str], size: int) -> st.SearchStrategy[Any]:
    """``size`` distinct documented filters with a value each, as query pairs."""
    specs = [oracle.FILTERS_BY_NAME[n] for n in names]
    return st.lists(st.sampled_from(specs), min_size=size, max_size=size, unique=True).flatmap(
        lambda chosen: st.tuples(*[st.tuples(st.just(s.name), filter_value(dataset, s)) for s in chosen])
    )


def unknown_key() -> st.SearchStrategy[str]:
    """Parameter names Ransack ignores: near-misses of documented names and made-up ones."""
    return st.one_of(
        st.sampled_from(UNKNOWN_KEYS), st.from_regex(r"zz[a-z]{1,6}(_[a-z]{1,6})?", fullmatch=True)
    )


def edge_values(dataset: Dataset, spec: oracle.Filter) -> list[str | None]:
    """Hand-picked values for ``spec`` that random drawing may miss, derived from the data:
    each way Ruby casts, each blank, each date form, each wildcard, case and accent trap."""
    if spec.kind == "int":
        values = dataset.values(spec.attributes[0]) or [0]
        common = max(values, key=lambda v: sum(r[spec.attributes[0]] == v for r in dataset.records))
        top = max(values)
        return [
            str(common),
            f" {common}\t",
            f"+{common}",
            f"0{common}",
            f"{common}.9",
            f"{common}abc",
            f"{common}e1",
            f"{str(common)[0]}_{str(common)[1:]}" if len(str(common)) > 1 else "1_0",
            "abc",
            "0x50",
            "\u00a0" + str(common),
            "2147483648",
            str(common + 2**32),
            str(top + 1),
            "-1",
            None,
            "",
            " ",
            "\u00a0",
        ]
    if spec.kind == "date":
        days = date_anchors(dataset, spec.attributes[0])
        middle = days[len(days) // 2]
        out: list[str | None] = [shift(middle, k).isoformat() for k in (-1, 0, 1)]
        out += [oracle.format_date(middle, form) for form in oracle.DATE_FORMS[1:]]
        out += [
            f" {middle.isoformat()} ",
            days[0].isoformat(),
            days[-1].isoformat(),
            shift(days[-1], 1).isoformat(),
            "2015-02-30",
            "garbage",
            None,
            "",
            "\u3000",
        ]
        return out
    texts = [t for a in spec.attributes if a not in oracle.HIDDEN_ATTRIBUTES for t in dataset.values(a)]
    texts = [t for t in texts or dataset.values("full_name") if t] or ["x"]
    plain = next((t for t in texts if len(t) >= 5 and t.isascii()), texts[0])
    middle = plain[1:4] if len(plain) >= 4 else plain
    out = [
        middle,
        middle.upper(),
        middle.lower(),
        middle.swapcase(),
        f"  {middle}\t",
        "\u00a0" + middle,
        middle[0] + "_" + middle[2:],
        middle[0] + "%" + middle[2:],
        middle[0] + "." + middle[2:],
        middle[:1] + "%" + middle[1:],
        "%",
        "_",
        "\\",
        plain,
        plain.upper() + "X",
        texts[-1],
        texts[len(texts) // 2],
        None,
        "",
        " ",
        "\u2003",
    ]
    for text in texts:  # accent, final sigma and dotted-I traps, where the data has them
        at = next((i for i, c in enumerate(text) if _accentless(c) not in ("", c)), None)
        if at is not None:
            window = text[max(0, at - 2) : at + 3]
            out += [_accentless(window), unicodedata.normalize("NFD", window)]
            break
    for text in texts:
        if "ς" in text or "İ" in text or "ı" in text:
            word = next(w for w in text.split() if "ς" in w or "İ" in w or "ı" in w)
            out += [word.upper(), word.lower()]
            break
    return out
